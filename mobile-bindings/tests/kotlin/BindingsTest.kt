// enlace-mobile through its generated Kotlin bindings on the JVM (JNA), as an Android app uses
// them: a storecheck made offline, line and text edits with UTF-16 positions (accents, emoji),
// queries, observers from several threads, typed errors, and a Rust panic as an exception.
// Run by mobile-bindings/tests/run.sh; exits non-zero on the first failure.

import app.enlace.core.EnlaceException
import app.enlace.mobile.*
import java.nio.file.Files
import java.util.concurrent.CountDownLatch
import java.util.concurrent.TimeUnit
import kotlin.system.exitProcess

val NOW = Instant(utcMs = 1_717_000_000_000L, zone = "America/Santiago")
// "Góndola ñ " is 10 UTF-16 units, the emoji 2 more: exactly what String.length counts.
const val NOTES = "Góndola ñ 😀 café"

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
    Expected(true, 6L, Money(4990L, "CLP")),
)

fun edit(start: Int, delete: Int, insert: String) = TextEdit(start.toUInt(), delete.toUInt(), insert)

val manualCheckIn = CheckIn(NOW, null, CheckInMethod.MANUAL, "sin GPS en el subterráneo")

fun storecheckOfflineSurvivesReopen() {
    val dir = Files.createTempDirectory("enlace-kt")
    val path = dir.resolve("phone/enlace.db").toString()
    val id = EnlaceStore.open(path).use { newStorecheck(it) }
    EnlaceStore.open(path).use { store ->
        val sc = store.getStorecheck(id)
        checkEq(sc.status, StorecheckStatus.DRAFT, "status")
        checkEq(sc.store.name, "Jumbo Costanera", "store name")
        checkEq(sc.createdAt, NOW, "created at")
    }
}

fun linesAreEditedInOneTransaction(store: EnlaceStore) {
    val id = newStorecheck(store)
    val sc = store.updateStorecheck(
        id,
        listOf(
            addLine("p1", "Cabernet 750"),
            addLine("p2", "Carménère 750"),
            StorecheckEdit.Arrive(manualCheckIn),
            StorecheckEdit.SetPresence("p1", Presence.PRESENT),
            StorecheckEdit.SetFacings("p1", 7L),
            StorecheckEdit.SetShelfPrice("p1", Money(5290L, "CLP")),
            StorecheckEdit.SetPresence("p2", Presence.OOS),
        ),
    )
    checkEq(sc.status, StorecheckStatus.IN_PROGRESS, "status after check-in")
    checkEq(sc.lines.map { it.key }, listOf("p1", "p2"), "line keys")
    checkEq(sc.lines[0].facings, 7L, "facings")
    checkEq(sc.lines[1].presence, Presence.OOS, "presence")
    checkEq(sc.lines[1].product.name, "Carménère 750", "product name")

    val bad = expectThrows<EnlaceException.InvalidValue>("negative facings") {
        store.updateStorecheck(id, listOf(StorecheckEdit.SetFacings("p1", 6L), StorecheckEdit.SetFacings("p2", -1L)))
    }
    checkEq(bad.field, "lines.p2.facings", "invalid field")
    checkEq(store.getStorecheck(id).lines[0].facings, 7L, "a refused batch writes nothing")

    store.updateStorecheck(id, listOf(StorecheckEdit.SetLineDeleted("p2", true), StorecheckEdit.Submit))
    val after = store.getStorecheck(id)
    check(after.lines[1].deleted) { "line deleted" }
    checkEq(after.status, StorecheckStatus.SUBMITTED, "submitted")
}

fun textEditsCountUtf16Units(store: EnlaceStore) {
    val id = newStorecheck(store)
    store.updateStorecheck(id, listOf(addLine("p1", "Cabernet 750")))
    val notes = TextField.StorecheckGeneralNotes
    store.editText(id, notes, edit(0, 0, NOTES))
    val emoji = NOTES.indexOf("😀")
    checkEq(emoji, 10, "Kotlin index of the emoji")
    store.editText(id, notes, edit(emoji, "😀".length, "ñandú 🇨🇱"))
    var text = store.getStorecheck(id).generalNotes
    checkEq(text, "Góndola ñ ñandú 🇨🇱 café", "after replacing the emoji")
    store.editText(id, notes, edit(text.length, 0, "!"))
    text = store.getStorecheck(id).generalNotes
    checkEq(text, "Góndola ñ ñandú 🇨🇱 café!", "append at String.length")

    val line = TextField.StorecheckLineNote("p1")
    store.editText(id, line, edit(0, 0, "sin stock 😕"))
    store.editText(id, line, edit(0, 3, "con"))
    checkEq(store.getStorecheck(id).lines[0].note, "con stock 😕", "line note")

    val inside = expectThrows<EnlaceException.TextPosition>("inside a surrogate pair") {
        store.editText(id, line, edit(11, 0, "x"))
    }
    check(inside.reason.contains("surrogate")) { "reason: ${inside.reason}" }
    expectThrows<EnlaceException.TextPosition>("past the end") { store.editText(id, notes, edit(1000, 0, "x")) }
    val missing = expectThrows<EnlaceException.NotFound>("unknown line") {
        store.editText(id, TextField.StorecheckLineNote("nope"), edit(0, 0, "x"))
    }
    checkEq(missing.what, "line", "not found what")
}

fun queriesFilterTheIndex(store: EnlaceStore) {
    val a = newStorecheck(store, "acc-q1")
    val b = newStorecheck(store, "acc-q2")
    store.updateStorecheck(b, listOf(StorecheckEdit.Arrive(CheckIn(NOW, GeoPoint(-33.4, -70.6, 8.0), CheckInMethod.GPS, null))))
    val byAccount = store.query(Query(deleted = DeletedFilter.EXCLUDE, order = SortOrder.NEWEST_FIRST, accountId = "acc-q1"))
    checkEq(byAccount.map { it.id }, listOf(a), "by account")
    val inProgress = store.query(Query(DeletedFilter.EXCLUDE, SortOrder.NEWEST_FIRST, kind = DocumentKind.STORECHECK, accountId = "acc-q2", status = "in_progress"))
    checkEq(inProgress.map { it.id }, listOf(b), "by status")
    store.delete(DocumentKind.STORECHECK, a)
    val trash = store.query(Query(DeletedFilter.ONLY, SortOrder.OLDEST_FIRST, accountId = "acc-q1"))
    checkEq(trash.map { it.id }, listOf(a), "trash")
    check(store.list(DocumentKind.STORECHECK).none { it.id == a }) { "deleted not listed" }
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
    store.editText(id, TextField.StorecheckGeneralNotes, edit(0, 0, "hola"))
    val me = Thread.currentThread().id
    checkEq(seen.calls.toList(), listOf(me to listOf(id), me to listOf(id)), "local changes")

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
            store.editText(doc, TextField.StorecheckGeneralNotes, edit(0, 0, "hilo $n ✔"))
        }.apply { start() }
    }
    workers.forEach { it.join(10_000) }
    check(done.await(10, TimeUnit.SECONDS)) { "observer calls from worker threads" }
    check(reads.values.any { it.startsWith("hilo") }) { "observer read the store: $reads" }
    val workerIds = workers.map { it.id }.toSet()
    check(seen.calls.drop(2).all { it.first in workerIds }) { "called on the writing threads" }

    check(store.removeObserver(handle) && store.removeObserver(reader)) { "remove" }
    val before = seen.calls.size
    store.delete(DocumentKind.STORECHECK, id)
    checkEq(seen.calls.size, before, "removed observer not called")
}

fun aThrowingObserverDoesNotFailTheWrite(store: EnlaceStore) {
    val broken = store.addObserver(object : DocumentObserver {
        override fun onChange(ids: List<String>) = throw IllegalStateException("observer bug")
    })
    val id = newStorecheck(store)
    checkEq(store.getStorecheck(id).id, id, "written despite the observer")
    store.removeObserver(broken)
}

fun errorsAreTyped(store: EnlaceStore) {
    val id = newStorecheck(store)
    val nf = expectThrows<EnlaceException.NotFound>("missing") { store.getStorecheck("2APp62HLhx67PjH7Xzc5Qu6iPa6x") }
    checkEq(nf.what, "document", "what")
    val wk = expectThrows<EnlaceException.WrongKind>("wrong kind") { store.getActionItem(id) }
    checkEq(wk.found, "storecheck", "found kind")
    expectThrows<EnlaceException.InvalidValue>("bad id") { store.getStorecheck("not an id") }
    val currency = expectThrows<EnlaceException.InvalidValue>("currency") {
        store.updateStorecheck(id, listOf(addLine("p1", "x"), StorecheckEdit.SetShelfPrice("p1", Money(1L, "XXX"))))
    }
    checkEq(currency.field, "currency", "currency field")
    val status = expectThrows<EnlaceException.InvalidValue>("skip a status") { store.updateStorecheck(id, listOf(StorecheckEdit.Submit)) }
    checkEq(status.field, "status", "status field")
    // All of them are EnlaceException, one catch for an app.
    check(status is EnlaceException) { "common supertype" }
    expectThrows<EnlaceException.Storage>("unwritable path") { EnlaceStore.open("/proc/enlace/not-writable.db") }
}

fun aRustPanicIsAnExceptionNotACrash(store: EnlaceStore) {
    val e = expectThrows<InternalException>("panic") { debugPanic("boom from rust") }
    check(e.message?.contains("boom from rust") == true) { "panic message: ${e.message}" }
    checkEq(store.getStorecheck(newStorecheck(store)).status, StorecheckStatus.DRAFT, "still usable")
}

fun otherDocuments(store: EnlaceStore) {
    val nid = store.createMeetingNote(NewMeetingNote("user-ana", NOW, MeetingKind.BRAND_REVIEW, "Revisión de marca", "acc-vina"))
    val note = store.updateMeetingNote(nid, listOf(
        MeetingNoteEdit.AddAgendaItem("g1", "Resultados"),
        MeetingNoteEdit.AddAgendaItem("g2", "Campaña de invierno"),
        MeetingNoteEdit.MoveAgendaItem("g2", null, "g1"),
    ))
    checkEq(note.agenda.map { it.key }, listOf("g2", "g1"), "agenda order")
    store.editText(nid, TextField.MeetingBody, edit(0, 0, "Acuerdos: 🍷 promo 2x1"))
    checkEq(store.getMeetingNote(nid).body, "Acuerdos: 🍷 promo 2x1", "body")

    val vid = store.createClientVisit(NewClientVisit("acc-vina", "user-ana", NOW, VisitKind.CLIENT_MEETING, "Reunión"))
    val visit = store.updateClientVisit(vid, listOf(ClientVisitEdit.Arrive(manualCheckIn), ClientVisitEdit.Advance(VisitStatus.HELD), ClientVisitEdit.LinkMeetingNote(nid)))
    checkEq(visit.status, VisitStatus.HELD, "visit held")

    val aid = store.createActionItem(NewActionItem("user-ana", NOW, SourceKind.MEETING_NOTE, nid, "acc-vina", "Enviar propuesta", "user-luis"))
    val item = store.updateActionItem(aid, listOf(ActionItemEdit.Advance(ActionItemStatus.DONE)))
    checkEq(item.status, ActionItemStatus.DONE, "item done")
    checkEq(SyncStatus.values().size, 4, "sync statuses (only on this phone, syncing, saved on the server, refused by the server)")
}

/** A real enlace-server child process (ENLACE_SERVER_BIN, open mode) on a free loopback port. */
class TestServer : AutoCloseable {
    private val dir = Files.createTempDirectory("enlace-kt-server")
    private val process: Process
    val url: String

    init {
        val binary = System.getenv("ENLACE_SERVER_BIN")
            ?: throw AssertionError("ENLACE_SERVER_BIN is not set: run mobile-bindings/tests/run.sh")
        process = ProcessBuilder(binary, "serve", "--insecure-open", "--listen", "127.0.0.1:0", "--data", dir.toString())
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
    override fun onChange(ids: List<String>) {
        if (id in ids) latch.countDown()
    }
}

fun aStorecheckSyncsThroughARealServer(a: EnlaceStore) {
    TestServer().use { server ->
        val id = newStorecheck(a)
        a.updateStorecheck(id, listOf(addLine("p1", "Cabernet 750"), StorecheckEdit.SetFacings("p1", 7L)))
        a.editText(id, TextField.StorecheckGeneralNotes, edit(0, 0, "Góndola ñ 😀"))
        checkEq(a.syncStatus(id), SyncStatus.ONLY_ON_THIS_PHONE, "before sync")
        a.startSync(server.url, null)
        check(waitUntil { a.syncStatus(id) == SyncStatus.SAVED_ON_SERVER }) { "saved on the server" }
        checkEq(a.pendingCount(), 0uL, "nothing pending")

        val dir = Files.createTempDirectory("enlace-kt-b")
        EnlaceStore.open(dir.resolve("b.db").toString()).use { b ->
            val arrived = Arrivals(id)
            b.addObserver(arrived)
            b.startSync(server.url, null)
            check(arrived.latch.await(60, TimeUnit.SECONDS)) { "the storecheck reached the second phone" }
            val sc = b.getStorecheck(id)
            checkEq(sc.lines[0].facings, 7L, "facings on the second phone")
            checkEq(sc.generalNotes, "Góndola ñ 😀", "notes on the second phone")

            val back = Arrivals(id)
            a.addObserver(back)
            b.updateStorecheck(id, listOf(StorecheckEdit.SetFacings("p1", 8L)))
            check(back.latch.await(60, TimeUnit.SECONDS)) { "the recount came back" }
            check(waitUntil { a.getStorecheck(id).lines[0].facings == 8L }) { "recount applied" }
            b.stopSync()
        }
        a.stopSync()
        checkEq(a.syncStatus(id), SyncStatus.SAVED_ON_SERVER, "status without a client")
    }
}

fun main() {
    val tests = listOf<Pair<String, (EnlaceStore) -> Unit>>(
        "storecheckOfflineSurvivesReopen" to { _ -> storecheckOfflineSurvivesReopen() },
        "linesAreEditedInOneTransaction" to ::linesAreEditedInOneTransaction,
        "textEditsCountUtf16Units" to ::textEditsCountUtf16Units,
        "queriesFilterTheIndex" to ::queriesFilterTheIndex,
        "observerHearsChangesFromAnyThread" to ::observerHearsChangesFromAnyThread,
        "aThrowingObserverDoesNotFailTheWrite" to ::aThrowingObserverDoesNotFailTheWrite,
        "errorsAreTyped" to ::errorsAreTyped,
        "aRustPanicIsAnExceptionNotACrash" to ::aRustPanicIsAnExceptionNotACrash,
        "otherDocuments" to ::otherDocuments,
        "aStorecheckSyncsThroughARealServer" to ::aStorecheckSyncsThroughARealServer,
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
