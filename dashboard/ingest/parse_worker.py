"""The parse worker: python-calamine reads uploaded workbooks here, in a process of its own.

Started by safe_read.py as `python -s -P parse_worker.py LIMIT_BYTES` and run as a script,
never imported: it loads only the standard library and python_calamine, so it starts in
tens of milliseconds.  It caps its own address space first (RLIMIT_AS) and writes no core
file, so a runaway allocation fails here, and a panic or an abort ends this process only.

One request after another on stdin, each answered on stdout: 8 bytes of length
(little-endian) then the file; the answer is 8 bytes of length then a pickle of one of

    ("ok", sheets, peak_rss_kb)             every sheet, in workbook order, as
                                            (name, height, width, rows, merged ranges), or as
                                            (name, error type, message) if calamine refuses it
    ("unreadable", type, message, peak_rss_kb)  calamine cannot open the workbook
    ("failed", type, message, peak_rss_kb)      a panic or MemoryError; the worker then exits

`rows` are calamine's to_python(skip_empty_area=False): lists of str, float, int, bool and
datetime values.  EOF on stdin ends the worker.
"""

import io
import os
import pickle
import resource
import struct
import sys


def _peak_kb() -> int:
    """This process's peak resident memory, KB: VmHWM, since ru_maxrss carries the parent's over exec."""
    try:
        with open("/proc/self/status", "rb") as f:
            for line in f:
                if line.startswith(b"VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def read(calamine, data: bytes) -> tuple:
    """Every sheet of the workbook in `data`, or why it cannot be read."""
    try:
        book = calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        names = list(book.sheet_names)
    except MemoryError as exc:
        return ("failed", type(exc).__name__, str(exc)[:500], _peak_kb())
    except Exception as exc:  # CalamineError and its like: a damaged workbook
        return ("unreadable", type(exc).__name__, str(exc)[:500], _peak_kb())
    except BaseException as exc:  # a Rust panic (pyo3's PanicException is a BaseException)
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            raise
        return ("failed", type(exc).__name__, str(exc)[:500], _peak_kb())
    sheets = []
    for name in names:
        try:
            sheet = book.get_sheet_by_name(name)
            sheets.append((name, sheet.height, sheet.width, sheet.to_python(skip_empty_area=False),
                           list(sheet.merged_cell_ranges or ())))
        except MemoryError as exc:
            return ("failed", type(exc).__name__, str(exc)[:500], _peak_kb())
        except Exception as exc:  # this sheet only: the validator decides whether it matters
            sheets.append((name, type(exc).__name__, str(exc)[:500]))
        except BaseException as exc:
            if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                raise
            return ("failed", type(exc).__name__, str(exc)[:500], _peak_kb())
    return ("ok", sheets, _peak_kb())


def main() -> int:
    limit = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    if limit > 0:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    import python_calamine  # after the limit, so its own allocations count against it

    answers = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # a stray print goes to stderr, never into an answer
    requests = sys.stdin.buffer
    while True:
        head = requests.read(8)
        if len(head) < 8:
            return 0
        (size,) = struct.unpack("<Q", head)
        data = requests.read(size)
        if len(data) < size:
            return 0
        answer = read(python_calamine, data)
        del data
        try:
            blob = pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL)
        except MemoryError as exc:
            answer = ("failed", type(exc).__name__, "the answer does not fit in memory", _peak_kb())
            blob = pickle.dumps(answer)
        answers.write(struct.pack("<Q", len(blob)) + blob)  # one write: one wake-up for the reader
        answers.flush()
        if answer[0] == "failed":
            return 1


if __name__ == "__main__":
    sys.exit(main())
