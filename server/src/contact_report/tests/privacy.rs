//! What the client must never see, and what must survive on the way: internal fields,
//! escaping, accents and the size bound.

use super::*;

#[test]
fn internal_fields_never_reach_the_client() {
    let mut note = meeting();
    note.title = "VISIBLE-title".to_owned();
    note.internal_notes.update("MARK-internal-notes");
    note.created_by = entity("MARK-created-by");
    note.created_at = Instant::new(978_327_780_000, "Europe/Madrid").expect("zone"); // 2001-01-01 05:43 UTC
    note.account_id = Some(entity("MARK-account-id"));
    let visit = DocumentId::new_random();
    note.client_visit_id = Some(visit);
    note.visibility = Visibility::Private;
    note.meeting_kind = MeetingKind::InternalStatus;
    // Attendees: internal person ids and keys, a deleted one.
    note.attendees.clear();
    let mut maria = person(Party::Client, "VISIBLE-maria", "");
    maria.person_id = Some("MARK-person-id-maria".to_owned());
    note.attendees.insert("MARK-attendee-key".into(), maria);
    let mut gone = person(Party::Agency, "MARK-deleted-attendee", "MARK-deleted-title");
    gone.deleted = true;
    gone.person_id = Some("MARK-deleted-person-id".to_owned());
    note.attendees
        .insert("MARK-deleted-attendee-key".into(), gone);
    // Agenda: owner given as a person id, a deleted point, marked order keys.
    note.agenda.clear();
    note.add_agenda_item("MARK-agenda-key", "VISIBLE-agenda")
        .expect("agenda");
    note.add_agenda_item("MARK-deleted-agenda-key", "MARK-deleted-agenda")
        .expect("agenda");
    for item in note.agenda.values_mut() {
        item.order = format!("{}MARK-agenda-order", item.order);
    }
    if let Some(item) = note.agenda.get_mut("MARK-agenda-key") {
        item.owner = Some("MARK-person-id-maria".to_owned());
    }
    if let Some(item) = note.agenda.get_mut("MARK-deleted-agenda-key") {
        item.deleted = true;
    }
    // Decisions: an agreeing id nobody is, a deleted decision.
    note.decisions.clear();
    note.decisions.insert(
        "MARK-decision-key".into(),
        decision(
            "a0MARK-decision-order",
            "VISIBLE-decision",
            &[
                "MARK-attendee-key",
                "MARK-unknown-agreer",
                "MARK-deleted-attendee-key",
            ],
        ),
    );
    let mut dropped = decision("a1", "MARK-deleted-decision", &[]);
    dropped.deleted = true;
    note.decisions.insert("d2".into(), dropped);
    note.open_questions.clear();
    note.open_questions.insert(
        "MARK-question-key".into(),
        question("a0", "VISIBLE-question"),
    );
    let mut dropped = question("a1", "MARK-deleted-question");
    dropped.deleted = true;
    note.open_questions.insert("q2".into(), dropped);
    // Action items: the ids, an unlinked one, one the note never linked.
    note.action_item_ids.clear();
    note.action_item_ids
        .insert("MARK-action-id".into(), link("a0"));
    let mut unlinked = link("a1");
    unlinked.deleted = true;
    note.action_item_ids
        .insert("MARK-unlinked-action-id".into(), unlinked);
    let given = [
        ("MARK-action-id", "VISIBLE-action"),
        ("MARK-unlinked-action-id", "MARK-unlinked-action-title"),
        ("MARK-never-linked-id", "MARK-never-linked-title"),
    ]
    .map(|(id, title)| ActionLine {
        id: id.to_owned(),
        title: title.to_owned(),
        owner: "VISIBLE-owner".to_owned(),
        due: None,
    });
    // The report's own bookkeeping.
    note.contact_report.distribution.insert(
        "MARK-recipient-key".into(),
        Recipient {
            name: "MARK-recipient-name".into(),
            email: "mark-recipient@example.invalid".into(),
            party: Party::Agency,
            reason: RecipientReason::Superior,
            deleted: false,
        },
    );
    note.contact_report.submit_for_review().expect("review");
    note.contact_report.sent_at = Some(Instant::utc(936_868_140_000)); // 1999-09-09 09:09 UTC

    let r = rendered(&note, &given);

    // The visible values are there, so the report is not simply empty.
    for visible in [
        "VISIBLE-title",
        "VISIBLE-maria",
        "VISIBLE-agenda",
        "Led by VISIBLE-maria",
        "VISIBLE-decision",
        "Agreed by VISIBLE-maria",
        "VISIBLE-question",
        "VISIBLE-action",
        "VISIBLE-owner",
    ] {
        assert!(r.text.contains(visible), "{visible} missing from text");
        assert!(r.html.contains(visible), "{visible} missing from html");
    }
    let ids = [
        note.id.to_string(),
        note.id.as_uuid().to_string(),
        visit.to_string(),
        visit.as_uuid().to_string(),
    ];
    for part in [&r.subject, &r.text, &r.html] {
        assert!(!part.contains("MARK"), "a marker leaked:\n{part}");
        assert!(!part.to_lowercase().contains("mark-recipient"), "{part}");
        for id in &ids {
            assert!(!part.contains(id.as_str()), "id {id} leaked:\n{part}");
        }
        let lower = part.to_lowercase();
        for word in ["private", "internal", "in_review", "in review", "superior"] {
            assert!(!lower.contains(word), "{word:?} leaked:\n{part}");
        }
        for date in ["2001-01-01", "1999-09-09"] {
            assert!(!part.contains(date), "{date} leaked:\n{part}");
        }
    }
}

/// Values an attacker would type, and how each must read in the HTML.
const HOSTILE: &str = r#"<script>alert("x")</script> & 'q' <img src=x onerror=y>"#;
const HOSTILE_ESCAPED: &str = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; \
                               &#39;q&#39; &lt;img src=x onerror=y&gt;";

/// The tags the page is made of; any other means a value became markup.
const OWN_TAGS: &[&str] = &[
    "!DOCTYPE", "html", "head", "meta", "title", "body", "div", "h1", "h2", "table", "tr", "td",
    "p", "ul", "li", "br", "span", "hr", "a",
];

#[test]
fn every_document_value_is_escaped_in_html() {
    let mut note = meeting();
    note.title = format!("T {HOSTILE}");
    note.location = format!("L {HOSTILE}");
    note.body.update(format!("B {HOSTILE}\nline two"));
    note.attendees.insert(
        "p9".into(),
        person(
            Party::Client,
            &format!("N {HOSTILE}"),
            &format!("J {HOSTILE}"),
        ),
    );
    note.add_agenda_item("g9", format!("A {HOSTILE}"))
        .expect("agenda");
    if let Some(item) = note.agenda.get_mut("g9") {
        item.owner = Some(format!("O {HOSTILE}"));
    }
    note.decisions.insert(
        "d9".into(),
        decision("b0", &format!("D {HOSTILE}"), &["p9"]),
    );
    note.open_questions
        .insert("q9".into(), question("b0", &format!("Q {HOSTILE}")));
    let given = [ActionLine {
        id: "act-1".into(),
        title: format!("I {HOSTILE}"),
        owner: format!("W {HOSTILE}"),
        due: None,
    }];
    let hostile_link = format!("https://x.example/?a=1&b=\"><script>{HOSTILE}");
    let r = render(&ReportInput {
        note: &note,
        report_no: &format!("R {HOSTILE}"),
        account_name: &format!("C {HOSTILE}"),
        agency_name: &format!("G {HOSTILE}"),
        shown_in: &santiago(),
        action_items: &given,
        answer_links: Some((hostile_link.clone(), hostile_link)),
    });
    for prefix in [
        "T", "L", "B", "N", "J", "A", "O", "D", "Q", "I", "W", "R", "C", "G",
    ] {
        let escaped = format!("{prefix} {HOSTILE_ESCAPED}");
        assert!(
            r.html.contains(&escaped),
            "{prefix}: {escaped} missing:\n{}",
            r.html
        );
        assert!(
            r.text.contains(&format!("{prefix} {HOSTILE}")),
            "{prefix} in text"
        );
    }
    assert!(
        r.html
            .contains("href=\"https://x.example/?a=1&amp;b=&quot;&gt;&lt;script&gt;&lt;script&gt;")
    );
    // Every tag in the page is one of the page's own.
    for (n, _) in r.html.match_indices('<') {
        let name: String = r.html[n + 1..]
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '!')
            .collect();
        assert!(OWN_TAGS.contains(&name.as_str()), "foreign tag <{name}");
    }
    assert_eq!(r.html.matches("<a ").count(), 2);
    // The subject is plain text: not escaped, but on one line.
    assert!(
        r.subject.starts_with("Contact report R <script>"),
        "{}",
        r.subject
    );
}

#[test]
fn spanish_survives_in_every_part() {
    let mut note = meeting();
    note.body.update("Año, niño, señal: ¿acción? ¡Sí! ÁÉÍÓÚ ü");
    let r = rendered(&note, &actions());
    assert!(r.subject.contains("Reunión con Viña Sur"), "{}", r.subject);
    for part in [&r.text, &r.html] {
        for s in [
            "Reunión con Viña Sur",
            "Año, niño, señal: ¿acción? ¡Sí! ÁÉÍÓÚ ü",
            "María Núñez",
            "Enviar cotización",
            "¿Quién firma la orden de compra?",
        ] {
            assert!(part.contains(s), "{s} missing:\n{part}");
        }
    }
    assert!(!r.html.contains("&ntilde;") && !r.html.contains("&#241;"));
    assert!(r.html.contains("<meta charset=\"utf-8\">"));
}

#[test]
fn the_subject_stays_on_one_short_line() {
    let mut note = meeting();
    note.title = "Reunión\r\nBcc: everyone@example.invalid".to_owned();
    let r = rendered(&note, &[]);
    assert_eq!(
        r.subject,
        "Contact report ACME-2026-0007: Reunión  Bcc: everyone@example.invalid"
    );
    note.title = "ñ".repeat(900);
    let r = rendered(&note, &[]);
    assert!(r.subject.len() <= 250, "{}", r.subject.len());
    assert!(r.subject.starts_with("Contact report ACME-2026-0007: ññ"));
    assert!(r.subject.ends_with('…'));
}

/// A note far over the budget: a 2 MiB body of quotes (six bytes each in HTML), 2,000 long
/// decisions, and one small open question and action item.
fn oversized() -> MeetingNote {
    let mut note = meeting();
    note.body
        .update(format!("INICIO {}", "\"".repeat(2 * 1024 * 1024)));
    note.decisions.clear();
    for n in 0..2000 {
        let text = format!("Decisión {n:04} {}", "palabra ".repeat(128));
        note.decisions.insert(
            format!("d{n:04}"),
            decision(&format!("a{n:04}"), &text, &["p1"]),
        );
    }
    note
}

#[test]
fn an_oversized_report_is_shortened_with_a_note_not_refused() {
    let r = rendered(&oversized(), &actions());
    for part in [&r.text, &r.html] {
        assert!(part.len() <= MAX_BODY_BYTES, "{} bytes", part.len());
        // Both long sections are cut, with a note each.
        assert_eq!(
            part.matches(SHORTENED).count(),
            2,
            "{}",
            &part[part.len() - 2000..]
        );
        assert!(part.contains("the rest of this text is not shown"));
        assert!(part.contains("more entries not shown"));
        // The start of each long section, the small sections and the answer are all there.
        for kept in [
            "INICIO",
            "Decisión 0000",
            "Decisión 0001",
            "¿Quién firma la orden de compra?",
            "Enviar cotización",
            "within 48 working hours",
            "https://enlace.example/r/dispute?t=abc",
        ] {
            assert!(part.contains(kept), "{kept} missing");
        }
        assert!(!part.contains("Decisión 1999"));
        // The budget is used, not wasted: over half of it is filled.
        assert!(part.len() > MAX_BODY_BYTES / 2, "{} bytes", part.len());
    }
    assert!(r.html.ends_with("</html>\n"));
}

#[test]
fn every_budget_holds_for_both_parts() {
    let note = oversized();
    let shown_in = santiago();
    let given = actions();
    for limit in [16 * 1024, 64 * 1024, 300_000] {
        let r = render_within(
            &ReportInput {
                note: &note,
                report_no: "ACME-2026-0007",
                account_name: "Viña Sur",
                agency_name: "Agencia Norte",
                shown_in: &shown_in,
                action_items: &given,
                answer_links: links(),
            },
            limit,
        );
        assert!(r.text.len() <= limit, "text {} > {limit}", r.text.len());
        assert!(r.html.len() <= limit, "html {} > {limit}", r.html.len());
        assert!(r.text.contains("Enviar cotización") && r.html.contains("Enviar cotización"));
        assert!(r.html.contains(SHORTENED));
    }
}

#[test]
fn a_section_is_written_as_its_frame_plus_its_content() {
    // fit measures pieces, so both writers must add up exactly.
    let items = vec![
        Item {
            text: "uno\ndos & <tres>".into(),
            detail: Some("Agreed by \"Ana\"".into()),
        },
        Item {
            text: "ñandú".into(),
            detail: None,
        },
    ];
    let list = Section {
        heading: "Decisions".into(),
        body: Body::List(items.clone()),
        cut: None,
    };
    let empty_list = Section {
        body: Body::List(Vec::new()),
        ..list.clone()
    };
    let words = "línea 1\n<línea 2> & \"3\"";
    let text = Section {
        heading: "Notes".into(),
        body: Body::Text(words.into()),
        cut: None,
    };
    let empty_text = Section {
        body: Body::Text(String::new()),
        ..text.clone()
    };
    assert_eq!(
        plain::section_len(&list),
        plain::section_len(&empty_list) + items.iter().map(plain::item_len).sum::<usize>()
    );
    assert_eq!(
        html::section_len(&list),
        html::section_len(&empty_list) + items.iter().map(html::item_len).sum::<usize>()
    );
    assert_eq!(
        plain::section_len(&text),
        plain::section_len(&empty_text) + plain::text_len(words)
    );
    assert_eq!(
        html::section_len(&text),
        html::section_len(&empty_text) + html::text_len(words)
    );
}
