//! The report as a whole: what it shows, what it never shows, escaping, accents and size.
//!
//! Expected strings are written out by hand; epoch values come from `date -u`.

use enlace_core::ids::{DocumentId, EntityId};
use enlace_core::model::meeting_note::{
    ActionRef, AgendaState, Decision, MeetingKind, MeetingNote, OpenQuestion, Recipient,
    RecipientReason,
};
use enlace_core::model::people::{Attendance, Attendee, Party, Visibility};
use enlace_core::model::time::{Instant, TimeZone};

use super::clock::{ShownZone, meeting_zone};
use super::outline::{Body, Item, Section};
use super::render::{
    ActionLine, MAX_BODY_BYTES, RenderedReport, ReportInput, render, render_within,
};
use super::{html, plain};

/// 2026-03-10 13:30 UTC (10:30 in Santiago).
const STARTED_MS: i64 = 1_773_149_400_000;
/// 2026-03-10 14:45 UTC (11:45 in Santiago).
const ENDED_MS: i64 = 1_773_153_900_000;
/// 2026-03-20 15:00 UTC.
const DUE_MS: i64 = 1_774_018_800_000;

const SHORTENED: &str = "Shortened for e-mail";

fn entity(s: &str) -> EntityId {
    s.parse().expect("entity id")
}

fn at(ms: i64) -> Instant {
    Instant::new(ms, "America/Santiago").expect("zone")
}

fn santiago() -> ShownZone {
    ShownZone::new(TimeZone::new("America/Santiago").expect("zone"), -180).expect("offset")
}

fn person(party: Party, name: &str, title: &str) -> Attendee {
    Attendee {
        party,
        person_id: None,
        name: name.to_owned(),
        title: title.to_owned(),
        attendance: Attendance::Attended,
        deleted: false,
    }
}

fn decision(order: &str, text: &str, agreed_by: &[&str]) -> Decision {
    serde_json::from_value(serde_json::json!({
        "order": order, "text": text, "agreed_by": agreed_by, "deleted": false,
    }))
    .expect("decision")
}

fn question(order: &str, text: &str) -> OpenQuestion {
    serde_json::from_value(serde_json::json!({ "order": order, "text": text, "deleted": false }))
        .expect("question")
}

fn link(order: &str) -> ActionRef {
    ActionRef {
        order: order.to_owned(),
        deleted: false,
    }
}

/// A plain client meeting, in Spanish.
fn meeting() -> MeetingNote {
    let mut note = MeetingNote::new(
        DocumentId::new_random(),
        entity("ana"),
        at(STARTED_MS - 86_400_000),
        MeetingKind::ClientMeeting,
        "Reunión con Viña Sur",
    );
    note.started_at = Some(at(STARTED_MS));
    note.ended_at = Some(at(ENDED_MS));
    note.location = "Oficina Providencia, Santiago".to_owned();
    note.body
        .update("Revisamos la campaña de otoño.\nEl cliente pidió más presencia en góndola.");
    note.attendees.insert(
        "p1".into(),
        person(Party::Client, "María Núñez", "Gerente de marca"),
    );
    let mut absent = person(Party::Client, "Pedro Soto", "");
    absent.attendance = Attendance::Absent;
    note.attendees.insert("p2".into(), absent);
    note.attendees.insert(
        "p3".into(),
        person(Party::Agency, "Ana Ruiz", "Ejecutiva de cuentas"),
    );
    note.add_agenda_item("g1", "Campaña otoño").expect("agenda");
    note.add_agenda_item("g2", "Presupuesto Q2")
        .expect("agenda");
    note.decisions.insert(
        "d1".into(),
        decision("a0", "Se aprueba el plan de medios", &["p1", "p3"]),
    );
    note.open_questions.insert(
        "q1".into(),
        question("a0", "¿Quién firma la orden de compra?"),
    );
    note.action_item_ids.insert("act-1".into(), link("a0"));
    note
}

fn actions() -> Vec<ActionLine> {
    vec![ActionLine {
        id: "act-1".to_owned(),
        title: "Enviar cotización".to_owned(),
        owner: "Ana Ruiz".to_owned(),
        due: Some(at(DUE_MS)),
    }]
}

fn links() -> Option<(String, String)> {
    Some((
        "https://enlace.example/r/accept?t=abc".to_owned(),
        "https://enlace.example/r/dispute?t=abc".to_owned(),
    ))
}

fn rendered(note: &MeetingNote, actions: &[ActionLine]) -> RenderedReport {
    render(&ReportInput {
        note,
        report_no: "ACME-2026-0007",
        account_name: "Viña Sur",
        agency_name: "Agencia Norte",
        shown_in: &santiago(),
        action_items: actions,
        answer_links: links(),
    })
}

/// Where `needle` starts in `hay`, failing the test when it is absent.
fn pos(hay: &str, needle: &str) -> usize {
    hay.find(needle)
        .unwrap_or_else(|| panic!("{needle:?} not in:\n{hay}"))
}

#[test]
fn the_subject_names_the_report_and_the_meeting() {
    let r = rendered(&meeting(), &actions());
    assert_eq!(
        r.subject,
        "Contact report ACME-2026-0007: Reunión con Viña Sur"
    );
}

#[test]
fn the_body_carries_every_client_facing_part_in_order() {
    let r = rendered(&meeting(), &actions());
    for part in [&r.text, &r.html] {
        let order = [
            "Reunión con Viña Sur",
            "ACME-2026-0007",
            "Viña Sur",
            "Agencia Norte",
            "2026-03-10, 10:30–11:45 (America/Santiago, UTC-03:00)",
            "Oficina Providencia, Santiago",
            "Client attendees — Viña Sur",
            "Agency attendees — Agencia Norte",
            "Notes",
            "Revisamos la campaña de otoño.",
            "Agenda",
            "Campaña otoño",
            "Presupuesto Q2",
            "Decisions",
            "Se aprueba el plan de medios",
            "Open questions",
            "¿Quién firma la orden de compra?",
            "Action items",
            "Enviar cotización",
            "Owner: Ana Ruiz; due 2026-03-20",
            "within 48 working hours",
        ];
        let mut last = 0;
        for needle in order {
            let at = pos(&part[last..], needle) + last;
            last = at + needle.len();
        }
        assert!(!part.contains(SHORTENED), "{part}");
    }
}

#[test]
fn the_notes_keep_their_line_breaks() {
    let r = rendered(&meeting(), &[]);
    assert!(
        r.text
            .contains("Revisamos la campaña de otoño.\nEl cliente pidió más presencia en góndola."),
        "{}",
        r.text
    );
    assert!(
        r.html.contains(
            "Revisamos la campaña de otoño.<br>\nEl cliente pidió más presencia en góndola."
        ),
        "{}",
        r.html
    );
}

#[test]
fn the_meeting_zone_is_the_notes_own() {
    let mut note = meeting();
    note.created_at = Instant::new(0, "Europe/Madrid").expect("zone");
    note.ended_at = Some(Instant::new(ENDED_MS, "America/Bogota").expect("zone"));
    assert_eq!(meeting_zone(&note).as_str(), "America/Santiago");
    note.started_at = None;
    assert_eq!(meeting_zone(&note).as_str(), "America/Bogota");
    note.ended_at = None;
    assert_eq!(meeting_zone(&note).as_str(), "Europe/Madrid");
}

#[test]
fn a_meeting_without_times_says_nothing_about_when() {
    let mut note = meeting();
    note.started_at = None;
    note.ended_at = None;
    let r = rendered(&note, &[]);
    assert!(!r.text.contains("When:"), "{}", r.text);
    assert!(!r.html.contains(">When<"), "{}", r.html);
}

#[test]
fn attendees_are_grouped_by_party() {
    let mut note = meeting();
    let mut gone = person(Party::Client, "Borrado Completo", "");
    gone.deleted = true;
    note.attendees.insert("p4".into(), gone);
    let r = rendered(&note, &[]);
    for part in [&r.text, &r.html] {
        let client = pos(part, "Client attendees — Viña Sur");
        let agency = pos(part, "Agency attendees — Agencia Norte");
        let maria = pos(part, "María Núñez, Gerente de marca");
        let pedro = pos(part, "Pedro Soto (absent)");
        let ana = pos(part, "Ana Ruiz, Ejecutiva de cuentas");
        assert!(client < maria && maria < pedro && pedro < agency && agency < ana);
        assert!(!part.contains("Borrado"), "{part}");
    }
}

#[test]
fn lists_follow_the_display_order_not_the_keys() {
    let mut note = meeting();
    note.decisions.clear();
    note.decisions
        .insert("a-key".into(), decision("a2", "Segunda decisión", &[]));
    note.decisions
        .insert("z-key".into(), decision("a1", "Primera decisión", &[]));
    let r = rendered(&note, &[]);
    assert!(pos(&r.text, "Primera decisión") < pos(&r.text, "Segunda decisión"));
}

#[test]
fn agenda_points_name_who_leads_them_and_whether_they_were_deferred() {
    let mut note = meeting();
    for (key, owner) in [("g1", "p1"), ("g2", "Carla, de compras")] {
        if let Some(item) = note.agenda.get_mut(key) {
            item.owner = Some(owner.to_owned());
        }
    }
    if let Some(item) = note.agenda.get_mut("g2") {
        item.state = AgendaState::Deferred;
    }
    let r = rendered(&note, &[]);
    assert!(
        r.text.contains(
            "- Campaña otoño\n  Led by María Núñez\n\
             - Presupuesto Q2\n  Led by Carla, de compras; Deferred to a later meeting\n"
        ),
        "{}",
        r.text
    );
}

#[test]
fn decisions_name_who_agreed() {
    let r = rendered(&meeting(), &[]);
    assert!(
        r.text.contains("  Agreed by Ana Ruiz, María Núñez\n"),
        "{}",
        r.text
    );
    assert!(
        r.html.contains("Agreed by Ana Ruiz, María Núñez</span>"),
        "{}",
        r.html
    );
}

#[test]
fn action_items_follow_the_note_and_only_those_it_links() {
    let mut note = meeting();
    note.action_item_ids.insert("act-0".into(), link("Zz"));
    note.action_item_ids.insert("act-2".into(), link("a1"));
    let given = vec![
        ActionLine {
            id: "act-2".into(),
            title: "Segunda tarea".into(),
            owner: String::new(),
            due: None,
        },
        ActionLine {
            id: "act-1".into(),
            title: "Primera tarea".into(),
            owner: "Ana Ruiz".into(),
            due: None,
        },
        ActionLine {
            id: "act-9".into(),
            title: "Tarea de otra reunión".into(),
            owner: String::new(),
            due: None,
        },
    ];
    let r = rendered(&note, &given);
    let (first, second) = (pos(&r.text, "Primera tarea"), pos(&r.text, "Segunda tarea"));
    assert!(first < second, "{}", r.text);
    assert!(
        r.text.contains("- Primera tarea\n  Owner: Ana Ruiz\n"),
        "{}",
        r.text
    );
    assert!(!r.text.contains("otra reunión") && !r.html.contains("otra reunión"));
    // No description for act-0: it is linked but not shown.
    assert_eq!(
        r.text.matches("\n- ").count(),
        3 + 2 + 1 + 1 + 2,
        "{}",
        r.text
    );
}

#[test]
fn without_action_items_the_section_is_left_out() {
    let r = rendered(&meeting(), &[]);
    assert!(!r.text.contains("Action items"), "{}", r.text);
    assert!(!r.html.contains("Action items"), "{}", r.html);
}

#[test]
fn answer_links_appear_in_both_parts() {
    let r = rendered(&meeting(), &[]);
    assert!(
        r.text.contains(
            "Accept the report: https://enlace.example/r/accept?t=abc\n\
             Dispute the report: https://enlace.example/r/dispute?t=abc\n"
        ),
        "{}",
        r.text
    );
    assert!(
        r.html
            .contains("<a href=\"https://enlace.example/r/accept?t=abc\"")
    );
    assert!(
        r.html
            .contains("<a href=\"https://enlace.example/r/dispute?t=abc\"")
    );
    assert!(r.text.contains("Use the links below"));
}

#[test]
fn without_links_the_client_is_told_to_reply() {
    let note = meeting();
    let r = render(&ReportInput {
        note: &note,
        report_no: "ACME-2026-0007",
        account_name: "Viña Sur",
        agency_name: "Agencia Norte",
        shown_in: &santiago(),
        action_items: &[],
        answer_links: None,
    });
    assert!(
        r.text
            .contains("Reply to this e-mail to accept or dispute it.")
    );
    assert!(!r.text.contains("Accept the report:"), "{}", r.text);
    assert!(!r.html.contains("<a "), "{}", r.html);
}

mod privacy;
