"""The ``gsomia`` command: mounts the sub-commands and maps errors to exit codes, here only.

Exit codes: 0 success; 1 unexpected gsomia error; 2 bad input; 3 unknown name; 4 denied by
policy; 5 integrity failure; 6 witness alarm; 7 conflict; 8 configuration; 9 storage;
10 transport. Every error prints one plain sentence on stderr (or a JSON object with
``--json``), never a traceback.
"""

from __future__ import annotations

import json
import logging
import sys

import typer

from gsomia import __version__
from gsomia.cli import agreements, audit, check, cluster, demo, interop, pki, value, warning
from gsomia.cli import node as node_commands
from gsomia.cli._render import err_console
from gsomia.errors import GsomiaError, PolicyDenied

app = typer.Typer(
    name="gsomia",
    help="Classified military information shared under GSOMIA-style agreements.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.command("agreements")(agreements.list_agreements)
app.add_typer(agreements.app, name="agreement")
app.add_typer(check.app, name="check")
app.add_typer(warning.app, name="warning")
app.add_typer(audit.app, name="audit")
app.add_typer(pki.app, name="pki")
app.add_typer(cluster.node_app, name="node")
app.command("up")(cluster.up)
app.command("down")(cluster.down)
app.command("demo")(demo.demo)
app.add_typer(value.app, name="value")
node_commands.mount(app, cluster.node_app)
app.command("label")(interop.label)
app.add_typer(interop.feed_app, name="feed")


@app.callback()
def _root(
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log progress to stderr."),
) -> None:
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, stream=sys.stderr)


@app.command("version")
def version() -> None:
    """Print the version."""
    typer.echo(__version__)


def report(exc: GsomiaError) -> int:
    """Print ``exc`` for a person (or as JSON when ``--json`` was given); its exit code."""
    if "--json" in sys.argv:
        body: dict[str, object] = {"error": type(exc).__name__, "message": exc.diagnostics()}
        if isinstance(exc, PolicyDenied):
            body["rule_ids"] = list(exc.rule_ids)
        sys.stderr.write(json.dumps(body, ensure_ascii=False) + "\n")
    else:
        err_console.print(f"[red]error:[/red] {exc.diagnostics()}")
    return exc.exit_code


def main() -> None:
    """Entry point of the ``gsomia`` command."""
    try:
        code = app(standalone_mode=False)
    except GsomiaError as exc:
        sys.exit(report(exc))
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        err_console.print("aborted")
        sys.exit(130)
    except Exception as exc:
        # Usage errors from the command-line parser carry their own message and code.
        show, exit_code = getattr(exc, "show", None), getattr(exc, "exit_code", None)
        if callable(show) and isinstance(exit_code, int):
            show()
            sys.exit(exit_code)
        raise
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
