"""``runners export``, ``runners import`` and ``runners migrate``: whole apps between backends."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from rich.console import Console

from runners_cli.errors import CliError, CliState

KINDS = ("session", "memory", "artifact")
LABELS = {"session": "sessions", "memory": "memories", "artifact": "artifacts"}


def _build(config: Any, loaded: Any, urls: dict[str, str | None], *, source: bool = False) -> Any:
    """Services for *urls* (falling back to the configuration for kinds not given).

    A *source* is only read: a local store that does not exist yet is not created.
    Without a session store there is nothing to read (CliError); a missing memory or
    artifact store is left out, as it holds nothing.
    """
    from urllib.parse import urlsplit

    from runners_cli.app_data import Services
    from runners_cli.services import (
        ServiceChoice,
        build_service,
        choose_services,
        missing_store,
        prepare,
    )

    choices = choose_services(config, loaded)
    missing: list[str] = []
    for kind, url in urls.items():
        if not url:
            continue
        if urlsplit(url).scheme not in loaded.registry.schemes(kind):
            if kind == "session":
                raise CliError(f"no installed plugin offers sessions for {redact(url)}")
            missing.append(kind)
            continue
        choices[kind] = ServiceChoice(kind, url, "argument")  # type: ignore[arg-type]
    for kind in missing:
        del choices[kind]
    if source:
        for kind, choice in list(choices.items()):
            path = missing_store(choice)
            if path is None:
                continue
            if kind == "session":
                raise CliError(
                    f"nothing to read: {path} does not exist, so no session is stored there; "
                    "check the session backend URL (--session-service or --from) or the "
                    "project's [tool.runners_core] session_service"
                )
            del choices[kind]
    prepare(choices, warn=False)
    built = {kind: build_service(choice, loaded) for kind, choice in choices.items()}
    services = Services(built["session"], built.get("memory"), built.get("artifact"))
    services.missing = missing
    return services, choices


def redact(url: str) -> str:
    from runners_core.redaction import redact_url

    return redact_url(url)


async def _close(services: Any) -> None:
    for service in (services.session, services.memory, services.artifact):
        if service is not None:
            await service.close()


def _setup(state: CliState, urls: list[str | None]) -> tuple[Any, Any]:
    from runners_core.config import load_config
    from runners_core.plugins.manager import load_plugins

    state.watch_urls(urls)
    config = load_config()
    state.watch_urls([config.session_service, config.memory_service, config.artifact_service])
    return config, load_plugins(config)


@contextmanager
def _progress(label: str) -> Iterator[Any]:
    from runners_cli.prune_ops import stage_progress

    with stage_progress() as update:
        yield lambda stage, done, total: update(f"{label} {stage}", done, total)


# ---------------------------------------------------------------------------- export


def export_app(
    state: CliState, *, app_name: str | None, output: Path | None, urls: dict[str, str | None]
) -> int:
    from runners_cli.app_data import Unsupported, app_lines
    from runners_cli.app_format import Counter, HeaderLine, dump, dump_parts
    from runners_cli.sessions_ops import resolve_app
    from runners_core.redaction import redact_url

    config, loaded = _setup(state, list(urls.values()))
    app = resolve_app(app_name, config.app_name)
    unsupported = Unsupported()

    async def main(out: IO[str]) -> Any:
        services, choices = _build(config, loaded, urls, source=True)
        try:
            header = HeaderLine(
                app_name=app,
                exported_at=time.time(),
                source={kind: redact_url(choice.url) for kind, choice in choices.items()},
            )
            out.write(dump(header))
            counter = Counter()
            with _progress("exporting") as progress:
                async for line in app_lines(
                    services, app, unsupported=unsupported, progress=progress
                ):
                    counter.add_parts(line, dump_parts(line), out.write)
            out.write(dump(counter.end()))
            return counter
        finally:
            await _close(services)

    if output is None:
        counter = asyncio.run(main(sys.stdout))
    else:
        partial = output.with_name(output.name + ".partial")
        try:
            with partial.open("w", encoding="utf-8") as out:
                counter = asyncio.run(main(out))
        except BaseException:
            partial.unlink(missing_ok=True)  # a failed export leaves nothing behind
            raise
        partial.replace(output)  # a file under the final name is always complete
    report = Console(stderr=True)
    report.print(f"exported app {app}: " + _counts(counter.counts))
    for message in unsupported.messages:
        report.print(f"not offered by the backend: {message}")
    return 0


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{n} {kind.replace('_', ' ')}" for kind, n in counts.items())


# ---------------------------------------------------------------------------- import


def import_app(
    state: CliState, *, path: Path, app_name: str | None, urls: dict[str, str | None]
) -> int:
    from runners_cli.app_data import AppWriter, Unsupported
    from runners_cli.app_format import HeaderLine, read_lines
    from runners_core.identifiers import validate_id

    if not path.is_file():
        raise CliError(f"no such file: {path}")
    config, loaded = _setup(state, list(urls.values()))

    def lines() -> Iterator[str]:
        with path.open("rb") as handle:
            for raw in handle:
                yield raw.decode("utf-8")

    # The whole file is checked (every line, the trailer's counts and checksum) before
    # anything is written.
    header: HeaderLine | None = None
    for _, line in read_lines(lines()):
        if isinstance(line, HeaderLine):
            header = line
    assert header is not None
    target = validate_id("app_name", app_name or header.app_name)
    unsupported = Unsupported()

    async def main() -> Any:
        services, _ = _build(config, loaded, urls)
        writer = AppWriter(services, target, unsupported)
        try:
            with _progress("importing") as progress:
                done = 0
                for _, line in read_lines(lines()):
                    if not isinstance(line, HeaderLine):
                        await writer.write(line)
                        done += 1
                        if done % 1000 == 0:
                            progress("lines", done, None)
            return await writer.finish()
        finally:
            await _close(services)

    summary = asyncio.run(main())
    console = Console()
    console.print(
        f"imported app {target}: {summary.sessions_created} sessions created "
        f"({summary.sessions_existing} existed), {summary.events_written} events written "
        f"({summary.events_present} present), {summary.artifact_versions_written} artifact "
        f"versions ({summary.artifact_versions_present} present), {summary.memories} memories"
    )
    for message in unsupported.messages:
        console.print(f"not offered by the backend: {message}")
    return 0


# ---------------------------------------------------------------------------- migrate


def migrate_app(
    state: CliState,
    *,
    app_name: str | None,
    source: dict[str, str | None],
    target: dict[str, str | None],
    verify_only: bool,
    as_json: bool,
) -> int:
    from runners_cli.app_data import AppWriter, Unsupported, app_lines, digest
    from runners_cli.sessions_ops import resolve_app
    from runners_core.redaction import redact_url

    if not source.get("session") or not target.get("session"):
        raise CliError("migrate needs --from URL and --to URL (the session backends)")
    config, loaded = _setup(state, [*source.values(), *target.values()])
    app = resolve_app(app_name, config.app_name)
    # One URL names every kind the backend offers; --from-memory etc. override.
    source = {k: source.get(k) or source["session"] for k in KINDS}
    target = {k: target.get(k) or target["session"] for k in KINDS}
    unsupported = Unsupported()

    async def main() -> dict[str, Any]:
        src, _ = _build(config, loaded, source, source=True)
        dst, _ = _build(config, loaded, target)
        try:
            started = time.perf_counter()
            summary = None
            if not verify_only:
                writer = AppWriter(dst, app, unsupported)
                with _progress("copying") as progress:
                    async for line in app_lines(
                        src, app, unsupported=unsupported, progress=progress
                    ):
                        await writer.write(line)
                summary = await writer.finish()
            copied = time.perf_counter() - started
            before, after = await asyncio.gather(digest(src, app), digest(dst, app))
            # Kinds one side does not offer are reported, not compared.
            skipped = {LABELS[k] for k in (*src.missing, *dst.missing)}
            compared = [k for k in before.counts if k not in skipped]
            mismatched = [
                k
                for k in compared
                if before.counts[k] != after.counts[k] or before.digests()[k] != after.digests()[k]
            ]
            return {
                "app_name": app,
                "from": redact_url(source["session"] or ""),
                "to": redact_url(target["session"] or ""),
                "copied": None if summary is None else summary.__dict__,
                "seconds": round(copied, 3),
                "events_per_s": (
                    round(summary.events_written / copied)
                    if summary is not None and copied > 0 and summary.events_written
                    else None
                ),
                "source": {"counts": before.counts, "sha256": before.digests()},
                "target": {"counts": after.counts, "sha256": after.digests()},
                "not_compared": sorted(skipped),
                "mismatched": mismatched,
                "verified": not mismatched,
                "unsupported": unsupported.messages,
            }
        finally:
            await _close(src)
            await _close(dst)

    result = asyncio.run(main())
    if as_json:
        print(json.dumps(result, indent=2))
    else:
        console = Console()
        if result["copied"] is not None:
            c = result["copied"]
            console.print(
                f"copied app {app} from {result['from']} to {result['to']} in "
                f"{result['seconds']} s: {c['sessions_created']} sessions created "
                f"({c['sessions_existing']} existed), {c['events_written']} events written "
                f"({c['events_present']} present), {c['artifact_versions_written']} artifact "
                f"versions, {c['memories']} memories"
            )
        console.print("source: " + _counts(result["source"]["counts"]))
        console.print("target: " + _counts(result["target"]["counts"]))
        for message in result["unsupported"]:
            console.print(f"not offered by a backend: {message}")
        if result["verified"]:
            also = (
                f" (not copied, not compared: {', '.join(result['not_compared'])})"
                if result["not_compared"]
                else ""
            )
            console.print(f"verified: counts and checksums match{also}")
        else:
            console.print(
                f"NOT verified: {', '.join(result['mismatched'])} differ between source and "
                "target; run migrate again (it "
                "resumes and skips what is copied) or inspect both sides"
            )
    return 0 if result["verified"] else 1
