"""`digispine rdf refresh|status`: the SPARQL view of a running server."""

from __future__ import annotations

import json
from typing import Any

import typer

from graph_service.cli.common import err_console, settings_or_exit

app = typer.Typer(help="The RDF/SPARQL view of the running server.", no_args_is_help=True)


def _call(method: str, path: str, url: str | None) -> dict[str, Any]:
    import httpx

    settings = settings_or_exit()
    base = url or f"http://{settings.http_host}:{settings.http_port}"
    headers = {"Authorization": f"Bearer {settings.api_key.get_secret_value()}"} if settings.api_key else {}
    try:
        response = httpx.request(method, base + path, headers=headers, timeout=3600)
    except httpx.HTTPError as exc:
        err_console.print(
            f"[red]cannot reach the DigiSpine server at {base}: {exc}[/] (is `digispine serve` running?)"
        )
        raise typer.Exit(1) from None
    if response.status_code == 401:
        err_console.print("[red]401: set DIGISPINE_API_KEY to a key with the role analyst[/]")
        raise typer.Exit(1)
    body: dict[str, Any] = response.json()
    if response.status_code >= 400:
        err_console.print(f"[red]{response.status_code}: {body.get('error') or body}[/]")
        raise typer.Exit(1)
    return body


@app.command()
def refresh(
    full: bool = typer.Option(False, "--full", help="Rebuild the view instead of applying changes."),
    url: str = typer.Option(None, "--url", help="Server URL [default: http://DIGISPINE_HTTP_HOST:PORT]."),
) -> None:
    """Bring the server's RDF view up to date with Neo4j now."""
    body = _call("POST", "/sparql/refresh" + ("?full=true" if full else ""), url)
    typer.echo(
        f"RDF view {body['state']}: {body['triples']:,} triples, refreshed at {body['refreshedAt']} "
        f"in {body['lastRefreshSeconds']} s (watermark {body['watermark']})"
    )


@app.command()
def status(url: str = typer.Option(None, "--url", help="Server URL.")) -> None:
    """How fresh the server's RDF view is."""
    typer.echo(json.dumps(_call("GET", "/sparql/status", url), indent=2))
