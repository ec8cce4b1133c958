"""Event hashes and canonical documents of a large capture, computed by a helper process while the capture validates.

A captured event needs its CBV 2.0 event hash (to recognise a re-submission) and its canonical JSON (the log entry
and the ``flow_events`` document). Both are pure functions of the event as given, and written in Python they are
about a fifth of a capture's time (some 25 µs per event). For a document of :data:`MIN_EVENTS` events or more,
``capture`` sends the events to one helper process (``spawn``ed on first use, or by ``reetrace serve`` at start, and
kept; nothing of the parent's threads or connections) and validates and checks them meanwhile. The work is cut in
chunks that either side claims under a shared lock: the helper from the first, the capture from the last once it
needs the results, so neither waits long and a slow, busy or missing helper costs only the hand-over (about 2 µs per
event). The helper's answers are the same functions' (a test holds them to the in-process ones); what it could not
do (an event the models refuse, a value that cannot be sent) is left to the capture, which computes it, and reports
its errors, as without a helper. Until the helper has started (about a second), captures compute everything.

One capture uses the helper at a time (another, in another thread, computes in-process). ``REETRACE_FLOW_HELPER=0``
turns the helper off; it is off on a machine with one CPU.
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import itertools
import marshal
import multiprocessing
import os
import pickle
import queue
import struct
import threading
from collections.abc import Sequence
from multiprocessing.connection import Connection
from typing import Any

from reetrace.errors import Error

try:
    import fcntl
except ImportError:  # pragma: no cover - not on Windows: pipes keep their size
    fcntl = None  # type: ignore[assignment]
from reetrace.events import canonical_json

from .eventhash import event_hash

MIN_EVENTS = 200  # below this, handing the events over costs about what it saves
CHUNK = 25  # events per claim: small, so that the two sides finish close together (25 did a little better than 50)
NOT_PLAIN = b""  # the event is not plain JSON (``canonical_json`` refused it): the capture asks the model
WHERE = "event.body.event"
_DOC, _NEXT, _END = 0, 1, 2  # the shared claim state: document number, next chunk from the front, end (exclusive)

Digest = tuple[str | None, bytes | None]  # (event hash, canonical JSON or NOT_PLAIN); None: not computed
Item = tuple[Any, dict[str, str]]  # an event as given, and its namespaces


def digest(data: Any, namespaces: dict[str, str]) -> Digest:
    """An event's hash and canonical JSON as ``capture`` computes them (None where that raised something else)."""
    try:
        hashed: str | None = event_hash(data, namespaces)
    except Exception:
        hashed = None
    document: bytes | None = NOT_PLAIN
    if type(data) is dict and (not namespaces or plain_strings(namespaces)):
        try:
            document = canonical_json(data, WHERE)
        except Error:
            document = NOT_PLAIN
        except Exception:
            document = None
    return hashed, document


def plain_strings(namespaces: dict[str, str]) -> bool:
    return all(type(k) is str and type(v) is str for k, v in namespaces.items())


def digest_all(items: Sequence[Item]) -> list[Digest]:
    return [digest(data, namespaces) for data, namespaces in items]


LOCK_WAIT = 1.0  # seconds; a helper that held the claim lock longer died holding it


def _claim(lock: Any, state: Any, doc: int, number: int | None = None) -> int | None:
    """A chunk of ``doc``: the capture's next from the back (``number`` None), or for the helper the chunk ``number``
    if it is the next from the front and not taken back. None when there is none (or it is taken); raises
    ``TimeoutError`` when the lock cannot be had (the helper died holding it)."""
    if not lock.acquire(timeout=LOCK_WAIT):
        raise TimeoutError("the flow helper holds its claim lock")
    try:
        if state[_DOC] != doc or state[_NEXT] >= state[_END]:
            return None
        if number is None:
            state[_END] -= 1
            return int(state[_END])
        if state[_NEXT] != number:
            return None
        state[_NEXT] = number + 1
        return number
    finally:
        lock.release()


def _serve(tasks: Connection, results: Connection, lock: Any, state: Any, ready: Any) -> None:  # pragma: no cover
    """The helper's loop: read a document, digest the chunks it can claim, send each back (a thread of its own
    writes them, so that a capture not reading yet never stalls the digests)."""
    gc.disable()  # a document's events are freed by reference counting; a full collection took 0.1 s
    outbox: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()

    def send() -> None:
        while (message := outbox.get()) is not None:
            try:
                results.send_bytes(message)
            except OSError:
                return

    sender = threading.Thread(target=send, name="reetrace-flow-helper-sender", daemon=True)
    sender.start()
    ready.set()
    for served in itertools.count(1):
        try:
            message = tasks.recv_bytes()
        except (EOFError, OSError):
            break
        doc, number, items = marshal.loads(message[1:]) if message[:1] == b"m" else pickle.loads(message[1:])
        if served % 1000 == 0:
            gc.collect()
        if _claim(lock, state, doc, number) is not None:  # not when the capture has taken it (or moved on)
            outbox.put(marshal.dumps((doc, number, digest_all(items))))
    outbox.put(None)
    sender.join(timeout=1)


PIPE_BYTES = 1 << 20  # Linux's default maximum (fs.pipe-max-size): a 1,000-event document and its digests fit


def _widen(end: Connection) -> None:
    """Ask for a pipe of ``PIPE_BYTES`` (Linux); elsewhere, or when refused, the pipe keeps its size (messages then
    wait in the outbox a little longer)."""
    with contextlib.suppress(AttributeError, OSError):
        fcntl.fcntl(end.fileno(), fcntl.F_SETPIPE_SZ, PIPE_BYTES)


class Pending:
    """The digests of one document, being computed: ``results()`` gathers them, computing what is left."""

    def __init__(self, helper: Helper, doc: int, items: Sequence[Item]) -> None:
        self._helper = helper
        self._doc = doc
        self._items = items
        self._done = False

    def cancel(self) -> None:
        """Done with the helper (after ``results`` or instead of it): it claims nothing more of this document."""
        if not self._done:
            self._done = True
            self._helper.release(self._doc)

    def results(self) -> list[Digest]:
        """Every event's digest: the chunks the helper has not claimed computed here (from the last), then the
        helper's; if the helper dies, what it had not sent is computed here too."""
        helper, doc, items = self._helper, self._doc, self._items
        chunks = (len(items) + CHUNK - 1) // CHUNK
        parts: dict[int, list[Digest]] = {}
        try:
            helper.flush()
            while helper.steal and (chunk := _claim(helper.lock, helper.state, doc)) is not None:
                parts[chunk] = digest_all(items[chunk * CHUNK:(chunk + 1) * CHUNK])
            mine = len(parts)
            while len(parts) < chunks:
                got = helper.receive(doc)
                if got is None:
                    break
                parts[got[0]] = got[1]
        except TimeoutError:
            helper.broken = True
            mine = len(parts)
        if len(parts) < chunks:  # the helper is gone: compute the rest here
            helper.broken = True
            for chunk in range(chunks):
                if chunk not in parts:
                    parts[chunk] = digest_all(items[chunk * CHUNK:(chunk + 1) * CHUNK])
        helper.count(len(items), min(len(items), (chunks - mine) * CHUNK) if not helper.broken else 0)
        self.cancel()
        return [d for chunk in range(chunks) for d in parts[chunk]]


class Helper:
    """One helper process for one capture at a time (started by ``start``, or by the first large document)."""

    def __init__(self) -> None:
        self.enabled: bool | None = None  # None: as REETRACE_FLOW_HELPER and the CPU count say
        self.steal = True  # False: the capture waits for every chunk from the helper (tests of the helper's answers)
        self.broken = False
        self.events = self.helped = 0  # events of documents sent to the helper, and roughly how many it digested
        self._busy = threading.Lock()  # held by the capture that uses the helper
        self._start = threading.Lock()
        self._pid = 0
        self._process: Any = None
        self._ready: Any = None
        self._tasks: Connection | None = None
        self._results: Connection | None = None
        self.lock: Any = None
        self.state: Any = None
        self._docs = itertools.count(1)
        self._outbox = bytearray()  # framed messages to the helper that its pipe has not taken yet

    def wanted(self) -> bool:
        if self.enabled is not None:
            return self.enabled
        return os.environ.get("REETRACE_FLOW_HELPER", "1") != "0" and (os.cpu_count() or 1) > 1

    def start(self, *, wait: float = 0.0) -> bool:
        """Start the helper if it is wanted and not running; wait up to ``wait`` seconds for it to be ready.
        Whether it is ready. Until it is, captures compute everything themselves."""
        if not self.wanted():
            return False
        with self._start:
            if self._pid != os.getpid():  # a forked child: the parent's helper is not this process's
                self._process = self._tasks = self._results = None
                self.broken = False
            elif self.broken or (self._process is not None and not self._process.is_alive()):
                self._stop()
            if self._process is None:
                context = multiprocessing.get_context("spawn")
                receive, send = context.Pipe(duplex=False)  # documents to the helper
                answers, reply = context.Pipe(duplex=False)  # its digests back
                self.lock, self.state, self._ready = context.Lock(), context.RawArray("q", 3), context.Event()
                self._process = context.Process(target=_serve, name="reetrace-flow-helper", daemon=True,
                                                args=(receive, reply, self.lock, self.state, self._ready))
                self._process.start()
                receive.close()  # the helper's ends are the helper's: its death closes them
                reply.close()
                for end in (send, answers):
                    _widen(end)
                os.set_blocking(send.fileno(), False)
                self._outbox = bytearray()
                self._tasks, self._results, self._pid, self.broken = send, answers, os.getpid(), False
            ready = self._ready
        return bool(ready.wait(wait) if wait else ready.is_set())

    def submit(self, items: Sequence[Item]) -> Pending | None:
        """Start the digests of a document's events; None for a small document, without a helper, while it starts,
        or when another capture is using it (the capture then computes them itself)."""
        if len(items) < MIN_EVENTS or not self.wanted() or not self._busy.acquire(blocking=False):
            return None
        try:
            if not self.start():
                self._busy.release()
                return None
            doc = next(self._docs)
            if not self.lock.acquire(timeout=LOCK_WAIT):
                raise TimeoutError("the flow helper holds its claim lock")
            try:
                self.state[_DOC], self.state[_NEXT], self.state[_END] = doc, 0, (len(items) + CHUNK - 1) // CHUNK
            finally:
                self.lock.release()
            for number, start in enumerate(range(0, len(items), CHUNK)):  # the helper starts on the first chunk
                chunk = list(items[start:start + CHUNK])
                try:  # marshal writes and reads plain data (JSON's types) twice as fast as pickle
                    message = b"m" + marshal.dumps((doc, number, chunk))
                except ValueError:  # e.g. a date from a spreadsheet
                    message = b"p" + pickle.dumps((doc, number, chunk), protocol=pickle.HIGHEST_PROTOCOL)
                self._outbox += struct.pack("!i", len(message)) + message  # multiprocessing's framing
                self.flush()
        except Exception:
            self.broken = True
            self._busy.release()
            return None
        return Pending(self, doc, items)

    def flush(self) -> None:
        """Write what the pipe takes of the messages not sent yet, without waiting (the helper reads them as it goes;
        the capture takes back, from the end, the chunks it has not had)."""
        if not self._outbox or self._tasks is None:
            return
        try:
            written = os.write(self._tasks.fileno(), self._outbox)
        except BlockingIOError:
            return
        del self._outbox[:written]

    def receive(self, doc: int) -> tuple[int, list[Digest]] | None:
        """The next chunk the helper sent for ``doc`` (older documents' are dropped); None if the helper died (its
        end of the pipe closed, even in the middle of a message)."""
        results = self._results
        assert results is not None
        while True:
            try:
                self.flush()  # the chunks it waits for may still be in the outbox (when not taken back)
                if not results.poll(0.05 if self._outbox else 0.5):
                    if self._process is None or not self._process.is_alive():
                        return None
                    continue
                got_doc, chunk, part = marshal.loads(results.recv_bytes())
            except (EOFError, OSError, ValueError):
                return None
            if got_doc == doc:
                return chunk, part

    def release(self, doc: int) -> None:
        """The capture is done with the helper: it claims nothing more of ``doc``."""
        try:
            if self.lock.acquire(timeout=LOCK_WAIT):
                try:
                    if self.state[_DOC] == doc:
                        self.state[_END] = self.state[_NEXT]
                finally:
                    self.lock.release()
            else:
                self.broken = True
        finally:
            self._busy.release()

    def count(self, events: int, helped: int) -> None:
        self.events += events
        self.helped += helped

    def _stop(self) -> None:
        """Close the helper's pipe (it exits when it reads the end) and, if it has not exited a moment later (it may
        still be starting), kill it: it holds nothing but copies of events."""
        if self._tasks is not None:
            self._tasks.close()
        if self._process is not None:
            self._process.join(timeout=0.2)
            if self._process.is_alive():
                self._process.kill()
                self._process.join(timeout=2)
        if self._results is not None:
            self._results.close()
        self._process = self._tasks = self._results = None

    def close(self) -> None:
        """Stop the helper (at exit; a later large document starts it again)."""
        with self._start:
            if self._pid == os.getpid():
                self._stop()


HELPER = Helper()
atexit.register(HELPER.close)
