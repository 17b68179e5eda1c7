#!/usr/bin/env python3
"""Read scan files as the web app reads an upload, in this process: for bench/speed.py's memory half (#18).

    .venv/bin/python bench/upload_job.py FOLDER FILE... [--workers N]

Builds the web app over a fresh SQLite database in ``FOLDER`` (its uploads
folder there too; the app's modules, catalogue and store loaded as in the
server), hands ``FILE``s to :func:`omr.web.jobs.create_job` as a browser's
upload would (each file hard-linked into the upload's incoming folder, so a
5,000-page upload costs no copy), and reads the job with the app's own
:class:`omr.web.jobs.JobRunner` (``run_next``, what its background thread
calls), in this process, with ``--workers`` page workers (default: the app's own,
omr.scan.page_workers.default_workers). Prints one line,
``pages stored: N``, and the job's status; exits 1 if the job did not end
'done'. Memory and CPU are measured from outside (bench/speed.py samples
this process and its descendants).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    # Imported here, not at the top: the page workers (forked from the fork server) import this
    # script again as their ``__main__``, as multiprocessing does; the server's own entry point
    # (``omr review serve``, bin/omr) imports only omr.cli there. At the top, every worker carried
    # Flask, the whole web app and its store (~50 MiB more each: 225 MiB, not 172, at 100 pages).
    from omr.web import create_app, jobs

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("files", type=Path, nargs="+")
    parser.add_argument("--workers", type=int, default=None, help="page workers (default: the web app's default)")
    args = parser.parse_args()
    uploads = args.folder / "uploads"
    app = create_app(f"sqlite:///{args.folder / 'omr.sqlite'}", uploads_dir=uploads,
                     template_dir=str(ROOT / "form_templates"), scan_workers=args.workers, start_jobs=False)
    store = app.extensions["omr_store"]
    incoming = uploads / jobs.INCOMING
    incoming.mkdir(parents=True, exist_ok=True)
    received = []
    for n, path in enumerate(args.files):
        target = incoming / f"upload-{n:04d}"
        os.link(path.resolve(), target)  # create_job moves it into the job's folder, as a received body
        received.append((path.name, target))
    job_id, accepted, refused = jobs.create_job(store, uploads, "speed", None, None, received, "bench")
    if job_id is None or refused:
        raise SystemExit(f"upload refused: {[r.reason for r in refused]}")
    app.extensions["omr_jobs"].run_next()
    job = jobs.job_status(store, job_id)
    print(f"pages stored: {job['pages_done']}")
    print(f"page workers: {app.extensions['omr_jobs'].workers}")
    print(f"job: {job['status']} {job['error']}")
    with open("/proc/self/status") as fh:  # the web process alone (its workers are other processes)
        print("web process peak RSS:", next(line.split(":")[1].strip() for line in fh if line.startswith("VmHWM:")))
    store.close()
    sys.exit(0 if job["status"] == jobs.DONE else 1)


if __name__ == "__main__":
    main()
