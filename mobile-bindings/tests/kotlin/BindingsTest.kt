// enlace-mobile through its generated Kotlin bindings on the JVM (JNA), as an Android app uses
// them: a storecheck made offline, edits as batches of core's edit vocabularies with UTF-16 text
// positions (accents, emoji), queries, observers from several threads, every refused edit as its
// own exception case, a Rust panic as an exception, and sync through a real enlace-server
// (complete storecheck and meeting note read back on a second phone).
// Run by mobile-bindings/tests/run.sh; exits non-zero on the first failure.

import app.enlace.core.*
import app.enlace.mobile.*
// Both generated files define uniffi's InternalException; a panic in an enlace_mobile call raises
// that module's.
import app.enlace.mobile.InternalException
import java.nio.file.Files
import java.util.concurrent.CountDownLatch
import java.util.concurrent.TimeUnit
import kotlin.system.exitProcess

val NOW = Instant(utcMs = 1_717_000_000_000L, zone = "America/Santiago")
// "Góndola ñ " is 10 UTF-16 units, the emoji 2 more: exactly what String.length counts.
const val NOTES = "Góndola ñ 😀 café"
const val MISSING = "2APp62HLhx67PjH7Xzc5Qu6iPa6x"
// The cap of a free text (notes, descriptions), in UTF-8 bytes.
const val MAX_TEXT = 256 * 1024

fun check(condition: Boolean, what: () -> String) {
    if (!condition) throw AssertionError(what())
}

fun <T> checkEq(actual: T, expected: T, what: String) =
    check(actual == expected) { "$what: expected <$expected>, got <$actual>" }

inline fun <reified E : Throwable> expectThrows(what: String, block: () -> Unit): E {
    try {
        block()
    } catch (e: Throwable) {
        if (e is E) return e
        throw AssertionError("$what: expected ${E::class.simpleName}, got $e", e)
    }
    throw AssertionError("$what: expected ${E::class.simpleName}, nothing was thrown")
}

fun later(ms: Long) = Instant(NOW.utcMs + ms, NOW.zone)

fun clp(amount: Long) = Money(amount, "CLP")

fun newStorecheck(store: EnlaceStore, account: String = "acc-vina"): String =
    store.createStorecheck(
        NewStorecheck(
            accountId = account,
            createdBy = "user-ana",
            createdAt = NOW,
            store = StoreSnapshot("store-42", "J042", "Jumbo Costanera", "Jumbo", "hiper"),
            catalogVersion = "2024-05",
        )
    )

fun addLine(key: String, name: String) = StorecheckEdit.AddLine(
    key,
    ProductSnapshot("780$key", name, "Viña Sur", true),
    Expected(mustStock = true, targetFacings = 6L, targetPrice = clp(4990L)),
)

fun edit(start: Int, delete: Int, insert: String) = TextEdit(start.toUInt(), delete.toUInt(), insert)

fun notes(start: Int, delete: Int, insert: String) = StorecheckEdit.EditGeneralNotes(edit(start, delete, insert))

fun lineNote(line: String, start: Int, delete: Int, insert: String) =
    StorecheckEdit.EditLineNote(line, edit(start, delete, insert))

val manualCheckIn = CheckIn(NOW, null, CheckInMethod.MANUAL, "sin GPS en el subterráneo")

/** Keys of an ordered list (agenda, decisions...) as an app shows it: by order key, ties by key. */
fun <V> inOrder(entries: Map<String, V>, order: (V) -> String): List<String> =
    entries.entries.sortedWith(compareBy({ order(it.value) }, { it.key })).map { it.key }

// ---- offline ----

fun storecheckOfflineSurvivesReopen() {
    val dir = Files.createTempDirectory("enlace-kt")
    val path = dir.resolve("phone/enlace.db").toString()
    val id = EnlaceStore.open(path).use { newStorecheck(it) }
    EnlaceStore.open(path).use { store ->
        val sc = store.getStorecheck(id)
        checkEq(sc.id, id, "id")
        checkEq(sc.status, StorecheckStatus.DRAFT, "status")
        checkEq(sc.store.name, "Jumbo Costanera", "store name")
        checkEq(sc.createdAt, NOW, "created at")
        checkEq(sc.lines, emptyMap(), "no lines")
        checkEq(sc.kpis, Kpis(null, null, null, null), "no KPIs without lines")
    }
}

fun linesAreEditedInOneChange(store: EnlaceStore) {
    val id = newStorecheck(store)
    store.editStorecheck(
        id,
        listOf(
            addLine("p1", "Cabernet 750"),
            addLine("p2", "Carménère 750"),
            StorecheckEdit.CheckIn(manualCheckIn),
            StorecheckEdit.SetPresence("p1", Presence.PRESENT),
            StorecheckEdit.SetFacings("p1", 7L),
            StorecheckEdit.SetShelfPrice("p1", clp(5290L)),
            StorecheckEdit.SetPresence("p2", Presence.OOS),
        ),
    )
    val sc = store.getStorecheck(id)
    checkEq(sc.status, StorecheckStatus.IN_PROGRESS, "status after check-in")
    checkEq(sc.checkIn, manualCheckIn, "check-in")
    checkEq(sc.lines.keys, setOf("p1", "p2"), "line keys")
    checkEq(sc.lines["p1"]?.facings, 7L, "facings")
    checkEq(sc.lines["p2"]?.presence, Presence.OOS, "presence")
    checkEq(sc.lines["p2"]?.product?.name, "Carménère 750", "product name")
    checkEq(store.storecheckLine(id, "p1"), sc.lines["p1"], "one line")
    checkEq(store.storecheckLine(id, "nope"), null, "no such line")

    val bad = expectThrows<EnlaceException.InvalidValue>("negative facings") {
        store.editStorecheck(id, listOf(StorecheckEdit.SetFacings("p1", 6L), StorecheckEdit.SetFacings("p2", -1L)))
    }
    checkEq(bad.field, "lines.p2.facings", "invalid field")
    checkEq(store.getStorecheck(id), sc, "a refused batch writes nothing")

    store.editStorecheck(id, listOf(StorecheckEdit.SetLineDeleted("p2", true), StorecheckEdit.Submit))
    val after = store.getStorecheck(id)
    check(after.lines["p2"]!!.deleted) { "line deleted" }
    checkEq(after.status, StorecheckStatus.SUBMITTED, "submitted")
}

fun textEditsCountUtf16Units(store: EnlaceStore) {
    val id = newStorecheck(store)
    store.editStorecheck(id, listOf(addLine("p1", "Cabernet 750"), notes(0, 0, NOTES)))
    val emoji = NOTES.indexOf("😀")
    checkEq(emoji, 10, "Kotlin index of the emoji")
    store.editStorecheck(id, listOf(notes(emoji, "😀".length, "ñandú 🇨🇱")))
    var text = store.getStorecheck(id).generalNotes
    checkEq(text, "Góndola ñ ñandú 🇨🇱 café", "after replacing the emoji")
    store.editStorecheck(id, listOf(notes(text.length, 0, "!")))
    text = store.getStorecheck(id).generalNotes
    checkEq(text, "Góndola ñ ñandú 🇨🇱 café!", "append at String.length")

    // Two splices of one text in one batch: the second sees the first.
    store.editStorecheck(id, listOf(lineNote("p1", 0, 0, "sin stock 😕"), lineNote("p1", 0, 3, "con")))
    checkEq(store.storecheckLine(id, "p1")?.note, "con stock 😕", "line note")

    val inside = expectThrows<EnlaceException.TextPosition>("inside a surrogate pair") {
        store.editStorecheck(id, listOf(lineNote("p1", 11, 0, "x")))
    }
    check(inside.reason.contains("surrogate")) { "reason: ${inside.reason}" }
    expectThrows<EnlaceException.TextPosition>("past the end") { store.editStorecheck(id, listOf(notes(1000, 0, "x"))) }
    val missing = expectThrows<EnlaceException.NotFound>("unknown line") {
        store.editStorecheck(id, listOf(lineNote("nope", 0, 0, "x")))
    }
    checkEq(missing.what, "line", "not found what")
    checkEq(store.getStorecheck(id).generalNotes, "Góndola ñ ñandú 🇨🇱 café!", "unchanged by refusals")
}

fun queriesFilterTheIndex(store: EnlaceStore) {
    val a = newStorecheck(store, "acc-q1")
    val b = newStorecheck(store, "acc-q2")
    store.editStorecheck(b, listOf(StorecheckEdit.CheckIn(CheckIn(NOW, GeoPoint(-33.4, -70.6, 8.0), CheckInMethod.GPS, null))))
    val byAccount = store.query(Query(deleted = DeletedFilter.EXCLUDE, order = SortOrder.NEWEST_FIRST, accountId = "acc-q1"))
    checkEq(byAccount.map { it.id }, listOf(a), "by account")
    val inProgress = store.query(Query(DeletedFilter.EXCLUDE, SortOrder.NEWEST_FIRST, kind = DocumentKind.STORECHECK, accountId = "acc-q2", status = "in_progress"))
    checkEq(inProgress.map { it.id }, listOf(b), "by status")
    // Deleting is the kind's own SetDeleted edit: the document goes to the trash.
    store.editStorecheck(a, listOf(StorecheckEdit.SetDeleted(true)))
    val trash = store.query(Query(DeletedFilter.ONLY, SortOrder.OLDEST_FIRST, accountId = "acc-q1"))
    checkEq(trash.map { it.id }, listOf(a), "trash")
    check(store.list(DocumentKind.STORECHECK).none { it.id == a }) { "deleted not listed" }
    check(store.getStorecheck(a).deleted) { "deleted flag" }
    expectThrows<EnlaceException.InvalidValue>("limit 0") {
        store.query(Query(DeletedFilter.INCLUDE, SortOrder.OLDEST_FIRST, limit = 0u))
    }
}

class Recorder : DocumentObserver {
    val calls = java.util.Collections.synchronizedList(mutableListOf<Pair<Long, List<String>>>())
    override fun onChange(ids: List<String>) {
        calls.add(Thread.currentThread().id to ids)
    }
}

fun observerHearsChangesFromAnyThread(store: EnlaceStore) {
    val seen = Recorder()
    val handle = store.addObserver(seen)
    val id = newStorecheck(store)
    store.editStorecheck(id, listOf(notes(0, 0, "hola")))
    val me = Thread.currentThread().id
    checkEq(seen.calls.toList(), listOf(me to listOf(id), me to listOf(id)), "local changes")
    // A refused batch changes nothing, so nobody is told.
    expectThrows<EnlaceException.TextPosition>("refused") { store.editStorecheck(id, listOf(notes(0, 0, "x"), notes(999, 0, "y"))) }
    checkEq(seen.calls.size, 2, "no call for a refused batch")

    // Four threads write at once; each observer call comes on the writing thread and may read the
    // store right away (no lock is held).
    val reads = java.util.concurrent.ConcurrentHashMap<String, String>()
    val done = CountDownLatch(4)
    val reader = store.addObserver(object : DocumentObserver {
        override fun onChange(ids: List<String>) {
            reads[ids[0]] = store.getStorecheck(ids[0]).generalNotes
            done.countDown()
        }
    })
    val workers = (1..4).map { n ->
        Thread {
            val doc = newStorecheck(store, "acc-thread-$n")
            store.editStorecheck(doc, listOf(notes(0, 0, "hilo $n ✔")))
        }.apply { start() }
    }
    workers.forEach { it.join(10_000) }
    check(done.await(10, TimeUnit.SECONDS)) { "observer calls from worker threads" }
    check(reads.values.any { it.startsWith("hilo") }) { "observer read the store: $reads" }
    val workerIds = workers.map { it.id }.toSet()
    check(seen.calls.drop(2).all { it.first in workerIds }) { "called on the writing threads" }

    check(store.removeObserver(handle) && store.removeObserver(reader)) { "remove" }
    check(!store.removeObserver(handle)) { "removed twice" }
    val before = seen.calls.size
    store.editStorecheck(id, listOf(StorecheckEdit.SetDeleted(true)))
    checkEq(seen.calls.size, before, "removed observer not called")
}

fun aThrowingObserverDoesNotFailTheWrite(store: EnlaceStore) {
    val broken = store.addObserver(object : DocumentObserver {
        override fun onChange(ids: List<String>) = throw IllegalStateException("observer bug")
    })
    val seen = Recorder()
    val handle = store.addObserver(seen)
    val id = newStorecheck(store)
    checkEq(store.getStorecheck(id).id, id, "written despite the observer")
    checkEq(seen.calls.map { it.second }, listOf(listOf(id)), "the other observer still ran")
    store.removeObserver(broken)
    store.removeObserver(handle)
}

fun errorsAreTyped(store: EnlaceStore) {
    val id = newStorecheck(store)
    val nf = expectThrows<EnlaceException.NotFound>("missing") { store.getStorecheck(MISSING) }
    checkEq(nf.what, "document", "what")
    checkEq(nf.id, MISSING, "not found id")
    val wk = expectThrows<EnlaceException.WrongKind>("wrong kind") { store.getActionItem(id) }
    checkEq(wk.found, "storecheck", "found kind")
    expectThrows<EnlaceException.WrongKind>("edit of the wrong kind") {
        store.editMeetingNote(id, listOf(MeetingNoteEdit.SetLocation("x")))
    }
    val badId = expectThrows<EnlaceException.InvalidValue>("bad id") { store.getStorecheck("not an id") }
    checkEq(badId.field, "document id", "bad id field")
    val currency = expectThrows<EnlaceException.InvalidValue>("currency") {
        store.editStorecheck(id, listOf(addLine("p1", "x"), StorecheckEdit.SetShelfPrice("p1", Money(1L, "XXX"))))
    }
    checkEq(currency.field, "currency", "currency field")
    val status = expectThrows<EnlaceException.InvalidValue>("skip a status") { store.editStorecheck(id, listOf(StorecheckEdit.Submit)) }
    checkEq(status.field, "status", "status field")
    val zone = expectThrows<EnlaceException.InvalidValue>("zone") {
        store.createStorecheck(NewStorecheck("a", "u", Instant(0L, "Mars/Base 1"), StoreSnapshot("s", "", "n", "", ""), "v"))
    }
    checkEq(zone.field, "zone", "zone field")
    // All of them are EnlaceException, one catch for an app.
    check(status is EnlaceException) { "common supertype" }
    expectThrows<EnlaceException.Storage>("unwritable path") { EnlaceStore.open("/proc/enlace/not-writable.db") }
    checkEq(store.getStorecheck(id).lines, emptyMap(), "nothing written")
}

fun aRustPanicIsAnExceptionNotACrash(store: EnlaceStore) {
    val e = expectThrows<InternalException>("panic") { debugPanic("boom from rust") }
    check(e.message?.contains("boom from rust") == true) { "panic message: ${e.message}" }
    checkEq(store.getStorecheck(newStorecheck(store)).status, StorecheckStatus.DRAFT, "still usable")
}

fun otherDocuments(store: EnlaceStore) {
    val nid = store.createMeetingNote(NewMeetingNote("acc-vina", "user-ana", NOW, MeetingKind.BRAND_REVIEW, "Revisión de marca"))
    store.editMeetingNote(nid, listOf(
        MeetingNoteEdit.AddAgendaItem("g1", "Resultados", null, null, null),
        MeetingNoteEdit.AddAgendaItem("g2", "Campaña de invierno", null, null, null),
        MeetingNoteEdit.MoveAgendaItem("g2", null, "g1"),
        MeetingNoteEdit.EditBody(edit(0, 0, "Acuerdos: 🍷 promo 2x1")),
    ))
    val note = store.getMeetingNote(nid)
    checkEq(inOrder(note.agenda) { it.order }, listOf("g2", "g1"), "agenda order")
    checkEq(note.body, "Acuerdos: 🍷 promo 2x1", "body")
    checkEq(note.accountId, "acc-vina", "note account")

    val aid = store.createActionItem(NewActionItem("acc-vina", "user-ana", NOW, Source(SourceKind.MEETING_NOTE, nid), "Enviar propuesta", "user-luis"))
    val vid = store.createClientVisit(NewClientVisit("acc-vina", "user-ana", NOW, VisitKind.CLIENT_MEETING, "Reunión"))
    store.editClientVisit(vid, listOf(
        ClientVisitEdit.CheckIn(manualCheckIn),
        ClientVisitEdit.SetStatus(VisitStatus.HELD),
        ClientVisitEdit.LinkMeetingNote(nid),
        ClientVisitEdit.AddActionItem(aid),
        ClientVisitEdit.AddAttendee("a1", Party.CLIENT, null, "María José Núñez", "Brand manager", Attendance.ATTENDED),
    ))
    val visit = store.getClientVisit(vid)
    checkEq(visit.status, VisitStatus.HELD, "visit held")
    checkEq(visit.meetingNoteId, nid, "visit note")
    checkEq(visit.actionItemIds, listOf(aid), "visit action items")
    checkEq(visit.attendees["a1"]?.name, "María José Núñez", "attendee")
    expectThrows<EnlaceException.InvalidValue>("held, then cancelled") {
        store.editClientVisit(vid, listOf(ClientVisitEdit.SetStatus(VisitStatus.CANCELLED)))
    }

    store.editActionItem(aid, listOf(
        ActionItemEdit.SetStatus(ActionItemStatus.DONE),
        ActionItemEdit.AddComment("c1", "user-luis", NOW, "Enviada ✔"),
    ))
    val item = store.getActionItem(aid)
    checkEq(item.status, ActionItemStatus.DONE, "item done")
    checkEq(item.source, Source(SourceKind.MEETING_NOTE, nid), "item source")
    checkEq(item.comments["c1"]?.text, "Enviada ✔", "comment")
    checkEq(SyncStatus.values().size, 4, "sync statuses (only on this phone, syncing, saved on the server, refused by the server)")
}

// ---- refused edits ----

/** One refused edit, the exception case it must raise, and a check of that case's fields. */
class Refusal(val name: String, val edit: StorecheckEdit, val case: Class<out EnlaceException>, val fields: (EnlaceException) -> Unit)

fun eachRefusalIsItsOwnExceptionCase(store: EnlaceStore) {
    val id = newStorecheck(store)
    store.editStorecheck(id, listOf(addLine("p1", "Cabernet 750"), StorecheckEdit.SetFacings("p1", 7L), StorecheckEdit.CheckIn(manualCheckIn), notes(0, 0, "Góndola ñ 😀")))
    val seen = Recorder()
    val handle = store.addObserver(seen)
    val refusals = listOf(
        Refusal("unknown line", StorecheckEdit.SetFacings("nope", 3L), EnlaceException.NotFound::class.java) {
            val e = it as EnlaceException.NotFound
            checkEq(e.what to e.id, "line" to "nope", "not found")
        },
        Refusal("line added twice", addLine("p1", "otra vez"), EnlaceException.AlreadyExists::class.java) {
            val e = it as EnlaceException.AlreadyExists
            checkEq(e.what to e.id, "line" to "p1", "already exists")
        },
        Refusal("negative facings", StorecheckEdit.SetFacings("p1", -1L), EnlaceException.InvalidValue::class.java) {
            checkEq((it as EnlaceException.InvalidValue).field, "lines.p1.facings", "invalid field")
        },
        Refusal("text past the end", notes(1000, 0, "x"), EnlaceException.TextPosition::class.java) {},
        Refusal("review from a phone", StorecheckEdit.SetStatus(StorecheckStatus.REVIEWED), EnlaceException.ServerOnly::class.java) {
            check((it as EnlaceException.ServerOnly).what.isNotEmpty()) { "server-only what" }
        },
        Refusal("notes past their cap", notes(0, 0, "x".repeat(MAX_TEXT + 1)), EnlaceException.TooLarge::class.java) {
            val e = it as EnlaceException.TooLarge
            checkEq(e.field, "general_notes", "too large field")
            checkEq(e.max, MAX_TEXT.toULong(), "cap")
            check(e.len > e.max) { "len ${e.len}" }
        },
    )
    val cases = refusals.map { it.case }.toSet()
    for (refusal in refusals) {
        val before = store.getStorecheck(id)
        val e = expectThrows<EnlaceException>(refusal.name) {
            store.editStorecheck(id, listOf(StorecheckEdit.SetFacings("p1", 9L), notes(0, 0, "¡"), refusal.edit))
        }
        // Exactly its own case: a `when` over EnlaceException tells them apart.
        checkEq(cases.filter { it.isInstance(e) }, listOf(refusal.case), "${refusal.name}: cases matched by $e")
        refusal.fields(e)
        checkEq(store.getStorecheck(id), before, "${refusal.name}: the refused batch wrote nothing")
        checkEq(seen.calls.size, 0, "${refusal.name}: no observer call")
    }
    store.editStorecheck(id, listOf(StorecheckEdit.SetFacings("p1", 9L), notes(0, 0, "¡")))
    checkEq(store.storecheckLine(id, "p1")?.facings, 9L, "the batch without the refused edit")
    checkEq(store.getStorecheck(id).generalNotes, "¡Góndola ñ 😀", "notes")
    store.removeObserver(handle)
}

fun aMalformedIdIsAnInvalidValue(store: EnlaceStore) {
    val id = newStorecheck(store)
    store.editStorecheck(id, listOf(addLine("p1", "Cabernet 750")))
    val before = store.getStorecheck(id)
    val calls = listOf<Pair<String, () -> Unit>>(
        "get" to { store.getStorecheck("not an id") },
        "edit" to { store.editStorecheck("not an id", listOf(notes(0, 0, "x"))) },
        "kpis" to { store.storecheckKpis("") },
        "sync status" to { store.syncStatus("2APp62HLhx67PjH7Xzc5Qu6iPa6") },
        "inside an edit" to {
            store.editStorecheck(id, listOf(
                StorecheckEdit.SetFacings("p1", 9L),
                StorecheckEdit.RaiseIssue("i1", IssueType.OOS, Severity.LOW, "p1", "x"),
                StorecheckEdit.LinkIssueActionItem("i1", "no es un id"),
            ))
        },
    )
    for ((what, call) in calls) {
        val e = expectThrows<EnlaceException.InvalidValue>(what) { call() }
        checkEq(e.field, "document id", "$what: field")
    }
    val entity = expectThrows<EnlaceException.InvalidValue>("empty entity id") {
        store.createActionItem(NewActionItem("acc-vina", "", NOW, Source(SourceKind.MANUAL, null), "x", "user-ana"))
    }
    checkEq(entity.field, "entity id", "entity id field")
    checkEq(store.getStorecheck(id), before, "nothing written")
    expectThrows<EnlaceException.NotFound>("well-formed, unknown") { store.editStorecheck(MISSING, listOf(notes(0, 0, "x"))) }
}

fun sendingTheContactReportIsTheServers(store: EnlaceStore) {
    val nid = store.createMeetingNote(NewMeetingNote("acc-vina", "user-ana", NOW, MeetingKind.CLIENT_MEETING, "Revisión"))
    store.editMeetingNote(nid, listOf(MeetingNoteEdit.SubmitContactReport))
    val before = store.getMeetingNote(nid)
    for (refused in listOf(
        MeetingNoteEdit.SetContactReportStatus(ContactReportStatus.SENT),
        MeetingNoteEdit.SetContactReportStatus(ContactReportStatus.DISPUTED),
        MeetingNoteEdit.MarkContactReportSent("CR-2024-001", NOW),
    )) {
        expectThrows<EnlaceException.ServerOnly>("$refused") {
            store.editMeetingNote(nid, listOf(MeetingNoteEdit.SetLocation("Vitacura"), refused))
        }
    }
    val after = store.getMeetingNote(nid)
    checkEq(after, before, "nothing written")
    checkEq(after.contactReport.status, ContactReportStatus.IN_REVIEW, "still in review")
    checkEq(after.contactReport.reportNo, null, "no number")
}

// ---- a real server ----

/** A real enlace-server child process (ENLACE_SERVER_BIN, open mode) on a free loopback port. */
class TestServer(seed: (TestServer) -> Unit = {}, open: Boolean = true) : AutoCloseable {
    private val dir = Files.createTempDirectory("enlace-kt-server")
    private val binary = System.getenv("ENLACE_SERVER_BIN")
        ?: throw AssertionError("ENLACE_SERVER_BIN is not set: run mobile-bindings/tests/run.sh")
    private val process: Process
    val url: String

    /** Runs `enlace-server admin <args>` on the server's data; returns the JSON answer's
     * value of `field` (`id`, `token`). */
    fun admin(field: String, vararg args: String): String {
        val run = ProcessBuilder(binary, "admin", "--data", dir.toString(), *args)
            .redirectError(ProcessBuilder.Redirect.DISCARD)
            .start()
        val out = run.inputStream.bufferedReader().readText()
        check(run.waitFor() == 0) { "admin ${args.toList()} failed: $out" }
        return Regex("\"$field\"\\s*:\\s*\"([^\"]+)\"").find(out)?.groupValues?.get(1)
            ?: throw AssertionError("no $field in $out")
    }

    /** Imports reference data of `kind` (CSV text) into organisation `org` with
     * `enlace-server admin reference import`. */
    fun importReference(org: String, kind: String, csv: String) {
        val file = Files.createTempFile(dir, kind, ".csv")
        Files.writeString(file, csv)
        val run = ProcessBuilder(binary, "admin", "--data", dir.toString(), "reference", "import",
            "--org", org, "--kind", kind, "--file", file.toString())
            .redirectError(ProcessBuilder.Redirect.DISCARD)
            .start()
        val out = run.inputStream.bufferedReader().readText()
        check(run.waitFor() == 0 && out.contains("\"changed\"")) { "import of $kind failed: $out" }
    }

    init {
        seed(this)
        val mode = if (open) listOf("--insecure-open") else listOf()
        process = ProcessBuilder(listOf(binary, "serve") + mode + listOf("--listen", "127.0.0.1:0", "--data", dir.toString()))
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .also { it.environment()["RUST_LOG"] = "info" }
            .start()
        val log = process.errorStream.bufferedReader()
        val pattern = Regex("enlace-server listening.*addr=(\\S+)")
        var addr: String? = null
        while (addr == null) {
            val line = log.readLine() ?: break
            addr = pattern.find(line)?.groupValues?.get(1)
        }
        check(addr != null) { "the server did not report its address" }
        // Keep draining its log so it never blocks on a full pipe.
        Thread {
            try {
                log.lineSequence().forEach { }
            } catch (closed: java.io.IOException) {
                // The server was stopped, closing the pipe: the drain is over.
            }
        }.apply { isDaemon = true }.start()
        url = "ws://$addr/v1/sync"
    }

    override fun close() {
        process.destroy()
        process.waitFor(10, TimeUnit.SECONDS)
    }
}

/** Re-checks `condition` until it holds or `seconds` pass. */
fun waitUntil(seconds: Long = 60, condition: () -> Boolean): Boolean {
    val deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds)
    while (!condition()) {
        if (System.nanoTime() > deadline) return false
        Thread.sleep(50)
    }
    return true
}

class Arrivals(private val id: String) : DocumentObserver {
    val latch = CountDownLatch(1)
    val threads = java.util.Collections.synchronizedSet(mutableSetOf<Long>())
    override fun onChange(ids: List<String>) {
        if (id in ids) {
            threads.add(Thread.currentThread().id)
            latch.countDown()
        }
    }
}

fun aStorecheckSyncsThroughARealServer(a: EnlaceStore) {
    TestServer().use { server ->
        val id = newStorecheck(a)
        a.editStorecheck(id, listOf(addLine("p1", "Cabernet 750"), StorecheckEdit.SetFacings("p1", 7L), notes(0, 0, "Góndola ñ 😀")))
        checkEq(a.syncStatus(id), SyncStatus.ONLY_ON_THIS_PHONE, "before sync")
        expectThrows<EnlaceException.Sync>("pending count without a client") { a.pendingCount() }
        a.startSync(server.url, null)
        check(waitUntil { a.syncStatus(id) == SyncStatus.SAVED_ON_SERVER }) { "saved on the server" }
        checkEq(a.pendingCount(), 0uL, "nothing pending")

        val dir = Files.createTempDirectory("enlace-kt-b")
        EnlaceStore.open(dir.resolve("b.db").toString()).use { b ->
            val arrived = Arrivals(id)
            b.addObserver(arrived)
            b.startSync(server.url, null)
            check(arrived.latch.await(60, TimeUnit.SECONDS)) { "the storecheck reached the second phone" }
            check(Thread.currentThread().id !in arrived.threads) { "observers run on the sync thread" }
            val sc = b.getStorecheck(id)
            checkEq(sc.lines["p1"]?.facings, 7L, "facings on the second phone")
            checkEq(sc.generalNotes, "Góndola ñ 😀", "notes on the second phone")
            check(waitUntil { b.syncStatus(id) == SyncStatus.SAVED_ON_SERVER }) { "saved, seen from the second phone" }

            val back = Arrivals(id)
            a.addObserver(back)
            b.editStorecheck(id, listOf(StorecheckEdit.SetFacings("p1", 8L)))
            check(back.latch.await(60, TimeUnit.SECONDS)) { "the recount came back" }
            check(waitUntil { a.storecheckLine(id, "p1")?.facings == 8L }) { "recount applied" }
            b.stopSync()
        }
        a.stopSync()
        check(!a.isConnected()) { "stopped" }
        checkEq(a.syncStatus(id), SyncStatus.SAVED_ON_SERVER, "status without a client")
    }
}

/** An authenticated server with account `acme`, an executive and a director on its team. */
/** An organisation with account `acme`, an executive and a director on its team; `more` adds
 * to it (given the organisation's id) before the server starts. */
fun agency(tokens: MutableMap<String, String>, more: (TestServer, String) -> Unit = { _, _ -> }) =
    TestServer(open = false, seed = { s ->
        val org = s.admin("id", "create-org", "--name", "Agencia Andes")
        s.admin("id", "create-account", "--org", org, "--id", "acme", "--name", "Acme")
        for ((name, role) in listOf("ejecutiva" to "account_executive", "directora" to "account_director")) {
            val user = s.admin("id", "create-user", "--org", org, "--name", name, "--email", "$name@andes.example", "--role", role)
            s.admin("account", "add-member", "--org", org, "--account", "acme", "--user", user)
            tokens[name] = s.admin("token", "issue-token", "--org", org, "--user", user)
        }
        more(s, org)
    })

fun aStorecheckFromTheCatalog(a: EnlaceStore) {
    val tokens = mutableMapOf<String, String>()
    agency(tokens) { s, org ->
        s.importReference(org, "stores", "code,name,chain,format,address,region,lat,lon,cluster\n" +
            "J042,Jumbo Costanera,Jumbo,hiper,Av. Andrés Bello 2425,RM,,,\n")
        s.importReference(org, "products", "gtin,name,brand,category,owner_account\n" +
            "7801234567894,Cabernet Reserva Tritón,Viña Sur,Vinos tintos,acme\n" +
            "7801234567887,Carménère Gran Reserva,Viña Sur,Vinos tintos,acme\n")
        s.importReference(org, "assortments", "account,store,gtin,must_stock,target_facings,target_price,currency\n" +
            "acme,J042,7801234567894,true,6,4990,CLP\n" +
            "acme,J042,7801234567887,true,4,6990,CLP\n")
    }.use { server ->
        a.startSync(server.url, tokens["ejecutiva"])
        check(waitUntil { a.catalogVersion("acme") != null }) { "the catalog arrived" }
        checkEq(a.storesOfMyAccounts().map { it.store.name }, listOf("Jumbo Costanera"), "my stores")
        checkEq(a.searchProducts("acme", "triton", 10u).map { it.gtin }, listOf("7801234567894"), "search without accents")
        val sid = a.createStorecheckFromAssortment("acme", "J042", "user-ana", NOW)
        val sc = a.getStorecheck(sid)
        checkEq(sc.lines.keys.sorted(), listOf("7801234567887", "7801234567894"), "one line per product of the assortment")
        checkEq(sc.lines["7801234567894"]?.expected?.targetFacings, 6L, "the target copied")
        a.editStorecheck(sid, listOf(
            StorecheckEdit.SetPresence("7801234567894", Presence.PRESENT),
            StorecheckEdit.SetFacings("7801234567894", 5L),
        ))
        val dir = Files.createTempDirectory("enlace-kt-dir")
        EnlaceStore.open(dir.resolve("dir.db").toString()).use { director ->
            director.startSync(server.url, tokens["directora"])
            director.fetch(sid)
            check(waitUntil {
                runCatching { director.getStorecheck(sid).lines["7801234567894"]?.facings }.getOrNull() == 5L
            }) { "the filled storecheck reached the director" }
            director.stopSync()
        }
        a.stopSync()
    }
}

fun serverCommandsFromThePhone(a: EnlaceStore) {
    val tokens = mutableMapOf<String, String>()
    agency(tokens).use { server ->
        a.startSync(server.url, tokens["ejecutiva"])
        val nid = a.createMeetingNote(NewMeetingNote("acme", "user-ana", NOW, MeetingKind.CLIENT_MEETING, "Revisión de campaña"))
        a.editMeetingNote(nid, listOf(
            MeetingNoteEdit.AddRecipient("r1", "María José Núñez", "mjnunez@vinasur.cl", Party.CLIENT, RecipientReason.ATTENDEE),
            MeetingNoteEdit.SubmitContactReport,
        ))
        val sent = a.sendContactReport(nid, 60_000uL)
        checkEq(sent.status, "sent", "the outcome")
        check(sent.reportNo?.startsWith("ACME-") == true) { "numbered: ${sent.reportNo}" }
        check(waitUntil { a.getMeetingNote(nid).contactReport.reportNo == sent.reportNo }) { "the number arrived by sync" }
        checkEq(a.getMeetingNote(nid).contactReport.status, ContactReportStatus.SENT, "sent on the phone")
        val again = expectThrows<EnlaceException.CommandRefused>("a second send") { a.sendContactReport(nid, 60_000uL) }
        checkEq(again.kind, RefusalKind.CONFLICT, "refused as a conflict")

        val sid = newStorecheck(a, "acme")
        a.editStorecheck(sid, listOf(addLine("p1", "Cabernet 750"), StorecheckEdit.SetStatus(StorecheckStatus.IN_PROGRESS), StorecheckEdit.Submit))
        val own = expectThrows<EnlaceException.CommandRefused>("an executive's review") { a.reviewStorecheck(sid, null, 60_000uL) }
        checkEq(own.kind, RefusalKind.NOT_ALLOWED, "not a reviewer")
        val dir = Files.createTempDirectory("enlace-kt-dir")
        EnlaceStore.open(dir.resolve("dir.db").toString()).use { director ->
            director.startSync(server.url, tokens["directora"])
            checkEq(director.reviewStorecheck(sid, "Bien hecho", 60_000uL).status, "reviewed", "reviewed")
            check(waitUntil { a.getStorecheck(sid).status == StorecheckStatus.REVIEWED }) { "the review arrived" }
            director.stopSync()
        }
        a.stopSync()
    }
}

fun photosReachATeammate(a: EnlaceStore) {
    val tokens = mutableMapOf<String, String>()
    agency(tokens).use { server ->
        a.startSync(server.url, tokens["ejecutiva"])
        val sid = newStorecheck(a, "acme")
        val camera = Files.createTempFile("IMG_", ".jpg")
        val bytes = byteArrayOf(0xFF.toByte(), 0xD8.toByte(), 0xFF.toByte(), 0xE0.toByte()) + ByteArray(300_000) { (it * 31).toByte() }
        Files.write(camera, bytes)
        val photo = NewPhoto("ph-1", 1600u, 1200u, null, null, PhotoKind.SHELF, "Góndola")
        val ref = a.attachStorecheckPhoto(sid, camera.toString(), photo, null)
        checkEq(ref.bytes, bytes.size.toULong(), "the photo's size")
        check(waitUntil { a.photoStatus(ref.sha256) == PhotoStatus.OnServer }) { "uploaded" }
        val dir = Files.createTempDirectory("enlace-kt-mate")
        EnlaceStore.open(dir.resolve("mate.db").toString()).use { mate ->
            mate.startSync(server.url, tokens["directora"])
            mate.fetch(sid)
            check(waitUntil { runCatching { mate.getStorecheck(sid).photos.size }.getOrDefault(0) == 1 }) { "the storecheck arrived" }
            val path = mate.photoPath(ref.sha256, 60_000uL)
            check(Files.readAllBytes(java.nio.file.Paths.get(path)).contentEquals(bytes)) { "the same bytes" }
            mate.stopSync()
        }
        expectThrows<EnlaceException.InvalidValue>("not an image") {
            a.attachStorecheckPhotoBytes(sid, "%PDF-1.7".toByteArray(), photo.copy(id = "ph-2"), null)
        }
        a.stopSync()
    }
}

const val SHA = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
val PHOTO = PhotoRef(
    id = "ph-1",
    sha256 = SHA,
    mime = "image/jpeg",
    bytes = 1_843_200uL,
    width = 3024u,
    height = 4032u,
    takenAt = NOW,
    geo = GeoPoint(-33.417, -70.606, 6.5),
    kind = PhotoKind.SHELF,
    caption = "Góndola de tintos",
    deleted = false,
)

fun competitor(key: String, name: String, facings: Long, price: Long) = listOf(
    StorecheckEdit.AddCompetitorLine(key, ProductSnapshot("779$key", name, "Otra Viña", false)),
    StorecheckEdit.SetCompetitorFacings(key, facings),
    StorecheckEdit.SetCompetitorShelfPrice(key, clp(price)),
)

/** A storecheck with every collection, and the action item its issue raises: (storecheck, item). */
fun fillStorecheck(phone: EnlaceStore): Pair<String, String> {
    val sid = newStorecheck(phone)
    phone.editStorecheck(sid, listOf(
        StorecheckEdit.CheckIn(CheckIn(NOW, GeoPoint(-33.417, -70.606, 8.0), CheckInMethod.GPS, null)),
        // Own lines: p1 on the shelf and right, p2 out of stock, p3 short and too expensive.
        addLine("p1", "Cabernet Sauvignon 750"),
        StorecheckEdit.SetPresence("p1", Presence.PRESENT),
        StorecheckEdit.SetFacings("p1", 7L),
        StorecheckEdit.SetShelfPrice("p1", clp(4790L)),
        StorecheckEdit.SetShelfLevel("p1", ShelfLevel.EYE),
        StorecheckEdit.SetLocation("p1", ShelfLocation.SHELF),
        StorecheckEdit.SetPlanogram("p1", Planogram.COMPLIANT),
        StorecheckEdit.SetPriceTag("p1", PriceTag.OK),
        StorecheckEdit.SetPromo("p1", Promo(true, clp(3990L), "2x1 fin de semana")),
        StorecheckEdit.SetExpiryNearest("p1", "2026-03-01"),
        lineNote("p1", 0, 0, "Bien ubicado, cerca de la cabecera 👍"),
        addLine("p2", "Carménère 750"),
        StorecheckEdit.SetPresence("p2", Presence.OOS),
        StorecheckEdit.SetFacings("p2", 0L),
        addLine("p3", "Merlot Reserva 750"),
        StorecheckEdit.SetPresence("p3", Presence.PRESENT),
        StorecheckEdit.SetFacings("p3", 3L),
        StorecheckEdit.SetShelfPrice("p3", clp(5290L)),
        StorecheckEdit.SetPriceTag("p3", PriceTag.WRONG),
        // Competitors: on the shelf, never in the own share.
        *competitor("c1", "Tarapacá Cabernet 750", 12L, 3990L).toTypedArray(),
        *competitor("c2", "Santa Rita 120 Merlot", 5L, 3490L).toTypedArray(),
        StorecheckEdit.SetCompetitorPromo("c1", Promo(true, null, "Lleve 3 pague 2")),
        // The category: 40 facings of red wine, the share-of-shelf denominator.
        StorecheckEdit.AddCategoryBlock("vinos-tintos", "Vinos tintos", null),
        StorecheckEdit.SetCategoryFacings("vinos-tintos", 40L),
        // POP: the expected wobbler is there; an unexpected floor display is not.
        StorecheckEdit.AddPopItem("wobbler", "Wobbler Viña Sur", true),
        StorecheckEdit.SetPopPresent("wobbler", true),
        StorecheckEdit.SetPopCondition("wobbler", PopCondition.GOOD),
        StorecheckEdit.AddPopItem("exhibidor", "Exhibidor de piso", false),
        StorecheckEdit.SetPopPresent("exhibidor", false),
        // The issue the OOS line raises.
        StorecheckEdit.RaiseIssue("i1", IssueType.OOS, Severity.MEDIUM, "p2", "Quiebre de Carménère"),
        StorecheckEdit.SetIssueSeverity("i1", Severity.HIGH),
        StorecheckEdit.EditIssueDescription("i1", edit("Quiebre de Carménère".length, 0, " en góndola 😕")),
        // The shelf photo, attached to p1.
        StorecheckEdit.AddPhoto(PHOTO, "p1"),
        notes(0, 0, "Tienda ordenada; falta Carménère ❗"),
    ))
    val aid = phone.createActionItem(NewActionItem("acc-vina", "user-ana", NOW, Source(SourceKind.STORECHECK, sid), "Reponer Carménère en Jumbo Costanera", "user-luis"))
    phone.editActionItem(aid, listOf(
        ActionItemEdit.SetPriority(Priority.HIGH),
        ActionItemEdit.SetDueDate(later(2 * 86_400_000L)),
        ActionItemEdit.EditDescription(edit(0, 0, "Pedir reposición al centro de distribución")),
    ))
    phone.editStorecheck(sid, listOf(
        StorecheckEdit.LinkIssueActionItem("i1", aid),
        StorecheckEdit.CheckOut(later(45 * 60_000L)),
        StorecheckEdit.Submit,
    ))
    return sid to aid
}

fun checkStorecheck(sc: StorecheckRecord, sid: String, aid: String) {
    checkEq(sc.id, sid, "id")
    checkEq(sc.status, StorecheckStatus.SUBMITTED, "status")
    checkEq(sc.checkIn?.method, CheckInMethod.GPS, "check-in method")
    checkEq(sc.checkOut, later(45 * 60_000L), "check-out")
    checkEq(sc.generalNotes, "Tienda ordenada; falta Carménère ❗", "general notes")

    checkEq(sc.lines.keys, setOf("p1", "p2", "p3"), "own lines")
    val p1 = sc.lines.getValue("p1")
    checkEq(listOf(p1.presence, p1.facings, p1.shelfPrice, p1.shelfLevel), listOf(Presence.PRESENT, 7L, clp(4790L), ShelfLevel.EYE), "p1")
    checkEq(listOf(p1.location, p1.planogram, p1.priceTag), listOf(ShelfLocation.SHELF, Planogram.COMPLIANT, PriceTag.OK), "p1 placement")
    checkEq(p1.promo, Promo(true, clp(3990L), "2x1 fin de semana"), "p1 promo")
    checkEq(p1.expiryNearest, "2026-03-01", "p1 expiry")
    checkEq(p1.note, "Bien ubicado, cerca de la cabecera 👍", "p1 note")
    checkEq(p1.photoIds, listOf("ph-1"), "p1 photos")
    checkEq(sc.lines["p2"]?.presence, Presence.OOS, "p2 out of stock")

    checkEq(sc.competitorLines.keys, setOf("c1", "c2"), "competitor lines")
    val c1 = sc.competitorLines.getValue("c1")
    checkEq(listOf(c1.product.isOwn, c1.facings, c1.shelfPrice), listOf(false, 12L, clp(3990L)), "c1")
    checkEq(c1.promo?.mechanic, "Lleve 3 pague 2", "c1 promo")
    checkEq(sc.categoryBlocks, mapOf("vinos-tintos" to CategoryBlock("Vinos tintos", 40L, false)), "category blocks")
    checkEq(sc.popItems["wobbler"], PopItem("Wobbler Viña Sur", true, true, PopCondition.GOOD, false), "wobbler")
    checkEq(sc.popItems["exhibidor"]?.present, false, "floor display absent")
    checkEq(
        sc.issues,
        mapOf("i1" to Issue(IssueType.OOS, Severity.HIGH, "p2", "Quiebre de Carménère en góndola 😕", aid, false)),
        "issues",
    )
    checkEq(sc.photos, mapOf("ph-1" to PHOTO), "photos")

    // OOS rate: of the 3 must-stock lines seen, p2 is out. Share of shelf: own facings on the
    // shelf (7 + 3; the competitors' 17 do not count) over the category block's 40. Price
    // compliance: p1 at or under its target, p3 over it. Perfect-store score: the mean of in
    // stock 2/3, facings on target 1/3, price 1/2, planogram 1/1 and expected POP 1/1 = 70.
    checkEq(
        sc.kpis,
        Kpis(Ratio(1uL, 3uL), Ratio(10uL, 40uL), Ratio(1uL, 2uL), 70.toUByte()),
        "KPIs",
    )
}

/** A meeting note with every list, and the action item it decides on: (note, its item). */
fun fillMeetingNote(phone: EnlaceStore, storecheckItem: String): Pair<String, String> {
    val nid = phone.createMeetingNote(NewMeetingNote("acc-vina", "user-ana", NOW, MeetingKind.CLIENT_MEETING, "Revisión trimestral Viña Sur"))
    val aid = phone.createActionItem(NewActionItem("acc-vina", "user-ana", NOW, Source(SourceKind.MEETING_NOTE, nid), "Enviar propuesta de campaña de invierno", "user-ana"))
    phone.editMeetingNote(nid, listOf(
        MeetingNoteEdit.SetStartedAt(NOW),
        MeetingNoteEdit.SetEndedAt(later(3_600_000L)),
        MeetingNoteEdit.SetLocation("Oficinas Viña Sur, Vitacura"),
        MeetingNoteEdit.AddAttendee("a1", Party.CLIENT, "ct-mjn", "María José Núñez", "Brand manager", Attendance.ATTENDED),
        MeetingNoteEdit.AddAttendee("a2", Party.AGENCY, "user-ana", "Ana Pérez", "Ejecutiva de cuentas", Attendance.ATTENDED),
        // Agenda: g1, g2 at the end, g3 put first, then g2 dragged before g1.
        MeetingNoteEdit.AddAgendaItem("g1", "Resultados del trimestre", "a2", null, null),
        MeetingNoteEdit.AddAgendaItem("g2", "Campaña de invierno ❄", "a1", null, null),
        MeetingNoteEdit.AddAgendaItem("g3", "Quiebres en Jumbo", null, null, "g1"),
        MeetingNoteEdit.MoveAgendaItem("g2", "g3", "g1"),
        MeetingNoteEdit.SetAgendaState("g1", AgendaState.DISCUSSED),
        MeetingNoteEdit.SetAgendaState("g2", AgendaState.DEFERRED),
        MeetingNoteEdit.AddDecision("d1", "Promo 2x1 en junio 🍷", null, null),
        MeetingNoteEdit.AddDecision("d2", "Reposición semanal en Jumbo", null, "d1"),
        MeetingNoteEdit.EditDecisionText("d1", edit(0, "Promo".length, "Oferta")),
        MeetingNoteEdit.AddDecisionAgreedBy("d1", "a1"),
        MeetingNoteEdit.AddDecisionAgreedBy("d1", "a2"),
        MeetingNoteEdit.AddOpenQuestion("q1", "¿Hay stock para el sur?", null, null),
        MeetingNoteEdit.AddOpenQuestion("q2", "¿Quién aprueba el presupuesto?", "q1", null),
        MeetingNoteEdit.AddActionItem(aid, null, null),
        MeetingNoteEdit.AddActionItem(storecheckItem, null, aid),
        MeetingNoteEdit.AddRecipient("r1", "María José Núñez", "mjnunez@vinasur.cl", Party.CLIENT, RecipientReason.ATTENDEE),
        MeetingNoteEdit.AddRecipient("r2", "Jorge Díaz", "jdiaz@vinasur.cl", Party.CLIENT, RecipientReason.SUPERIOR),
        MeetingNoteEdit.AddRecipient("r3", "Trade marketing", "trade@vinasur.cl", Party.CLIENT, RecipientReason.DEPARTMENT),
        MeetingNoteEdit.EditBody(edit(0, 0, "Revisamos resultados 📈 y la campaña.")),
        MeetingNoteEdit.EditInternalNotes(edit(0, 0, "El cliente está molesto por los quiebres")),
        MeetingNoteEdit.SubmitContactReport,
    ))
    return nid to aid
}

fun checkMeetingNote(n: MeetingNoteRecord, nid: String, aid: String, storecheckItem: String) {
    checkEq(n.id, nid, "note id")
    checkEq(n.accountId, "acc-vina", "note account")
    checkEq(n.location, "Oficinas Viña Sur, Vitacura", "location")
    checkEq(n.body, "Revisamos resultados 📈 y la campaña.", "body")
    checkEq(n.internalNotes, "El cliente está molesto por los quiebres", "internal notes")
    checkEq(n.attendees.mapValues { it.value.name }, mapOf("a1" to "María José Núñez", "a2" to "Ana Pérez"), "attendees")

    checkEq(inOrder(n.agenda) { it.order }, listOf("g3", "g2", "g1"), "agenda order")
    checkEq(
        n.agenda.mapValues { Triple(it.value.title, it.value.owner, it.value.state) },
        mapOf(
            "g1" to Triple("Resultados del trimestre", "a2", AgendaState.DISCUSSED),
            "g2" to Triple("Campaña de invierno ❄", "a1", AgendaState.DEFERRED),
            "g3" to Triple("Quiebres en Jumbo", null, AgendaState.OPEN),
        ),
        "agenda",
    )
    checkEq(inOrder(n.decisions) { it.order }, listOf("d2", "d1"), "decision order")
    checkEq(n.decisions["d1"]?.text, "Oferta 2x1 en junio 🍷", "decision text")
    checkEq(n.decisions["d1"]?.agreedBy?.sorted(), listOf("a1", "a2"), "agreed by")
    checkEq(inOrder(n.openQuestions) { it.order }, listOf("q1", "q2"), "question order")
    checkEq(n.openQuestions["q1"]?.text, "¿Hay stock para el sur?", "question")
    checkEq(inOrder(n.actionItemIds) { it.order }, listOf(storecheckItem, aid), "action item order")

    val report = n.contactReport
    checkEq(report.status, ContactReportStatus.IN_REVIEW, "report status")
    checkEq(report.reportNo to report.sentAt, null to null, "not sent")
    checkEq(
        report.distribution.mapValues { it.value.email to it.value.reason },
        mapOf(
            "r1" to ("mjnunez@vinasur.cl" to RecipientReason.ATTENDEE),
            "r2" to ("jdiaz@vinasur.cl" to RecipientReason.SUPERIOR),
            "r3" to ("trade@vinasur.cl" to RecipientReason.DEPARTMENT),
        ),
        "distribution",
    )
}

fun completeDocumentsReachASecondPhone(a: EnlaceStore) {
    TestServer().use { server ->
        val (sid, scItem) = fillStorecheck(a)
        val (nid, noteItem) = fillMeetingNote(a, scItem)
        val docs = listOf(sid, scItem, nid, noteItem)

        val written = a.getStorecheck(sid)
        checkStorecheck(written, sid, scItem)
        checkEq(a.storecheckKpis(sid), written.kpis, "storecheckKpis")
        checkEq(a.storecheckLine(sid, "p1"), written.lines["p1"], "storecheckLine")
        val item = a.getActionItem(scItem)
        checkEq(item.source, Source(SourceKind.STORECHECK, sid), "item source")
        checkEq(item.priority, Priority.HIGH, "item priority")
        val note = a.getMeetingNote(nid)
        checkMeetingNote(note, nid, noteItem, scItem)
        val noteItemRecord = a.getActionItem(noteItem)

        a.startSync(server.url, null)
        check(waitUntil { docs.all { a.syncStatus(it) == SyncStatus.SAVED_ON_SERVER } }) { "all saved on the server" }

        val dir = Files.createTempDirectory("enlace-kt-b")
        EnlaceStore.open(dir.resolve("b.db").toString()).use { b ->
            b.startSync(server.url, null)
            val arrived = waitUntil {
                try {
                    b.getStorecheck(sid) == written && b.getMeetingNote(nid) == note &&
                        b.getActionItem(scItem) == item && b.getActionItem(noteItem) == noteItemRecord
                } catch (e: EnlaceException.NotFound) {
                    false
                }
            }
            check(arrived) { "every document reached the second phone, value for value" }
            val onB = b.getStorecheck(sid)
            checkStorecheck(onB, sid, scItem)
            checkEq(b.storecheckKpis(sid), written.kpis, "KPIs on the second phone")
            checkMeetingNote(b.getMeetingNote(nid), nid, noteItem, scItem)
            checkEq(b.getActionItem(onB.issues.getValue("i1").actionItemId!!).source.docId, sid, "the follow-up points back")
            checkEq(b.list(null).map { it.id }.toSet(), docs.toSet(), "listed on the second phone")
            b.stopSync()
        }
        a.stopSync()
    }
}

fun main() {
    val tests = listOf<Pair<String, (EnlaceStore) -> Unit>>(
        "storecheckOfflineSurvivesReopen" to { _ -> storecheckOfflineSurvivesReopen() },
        "linesAreEditedInOneChange" to ::linesAreEditedInOneChange,
        "textEditsCountUtf16Units" to ::textEditsCountUtf16Units,
        "queriesFilterTheIndex" to ::queriesFilterTheIndex,
        "observerHearsChangesFromAnyThread" to ::observerHearsChangesFromAnyThread,
        "aThrowingObserverDoesNotFailTheWrite" to ::aThrowingObserverDoesNotFailTheWrite,
        "errorsAreTyped" to ::errorsAreTyped,
        "aRustPanicIsAnExceptionNotACrash" to ::aRustPanicIsAnExceptionNotACrash,
        "otherDocuments" to ::otherDocuments,
        "eachRefusalIsItsOwnExceptionCase" to ::eachRefusalIsItsOwnExceptionCase,
        "aMalformedIdIsAnInvalidValue" to ::aMalformedIdIsAnInvalidValue,
        "sendingTheContactReportIsTheServers" to ::sendingTheContactReportIsTheServers,
        "aStorecheckSyncsThroughARealServer" to ::aStorecheckSyncsThroughARealServer,
        "completeDocumentsReachASecondPhone" to ::completeDocumentsReachASecondPhone,
        "serverCommandsFromThePhone" to ::serverCommandsFromThePhone,
        "photosReachATeammate" to ::photosReachATeammate,
        "aStorecheckFromTheCatalog" to ::aStorecheckFromTheCatalog,
    )
    var failed = 0
    for ((name, test) in tests) {
        val dir = Files.createTempDirectory("enlace-kt")
        try {
            EnlaceStore.open(dir.resolve("enlace.db").toString()).use { test(it) }
            println("ok   $name")
        } catch (e: Throwable) {
            failed++
            println("FAIL $name: $e")
            e.printStackTrace()
        }
    }
    println("${tests.size - failed} passed, $failed failed")
    exitProcess(if (failed == 0) 0 else 1)
}
