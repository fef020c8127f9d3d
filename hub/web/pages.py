"""The pages people see, in Dutch."""

from __future__ import annotations

from aiohttp import web

HOME = """<!doctype html>
<html lang="nl">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Signaalhub sociale wijkteams</title>
</head>
<body>
<main>
<h1>Signaalhub sociale wijkteams</h1>
<p><strong>Niet voor spoed.</strong> Bij direct gevaar: bel 112. Bij zorgen over huiselijk geweld
of kindermishandeling: bel Veilig Thuis, 0800-2000.</p>
<p>Partners (huisartsen, woningcorporaties, politie, Werk en Inkomen) geven hier signalen door over
huishoudens die hulp nodig hebben. De hub stuurt elk signaal naar het sociaal wijkteam van het
adres en houdt bij welke terugkoppeling is afgesproken.</p>
<p>Koppelingen: <a href="/api/v1/openapi.json">API-beschrijving (OpenAPI)</a>.</p>
</main>
</body>
</html>
"""


async def home(request: web.Request) -> web.Response:
    return web.Response(text=HOME, content_type="text/html", charset="utf-8")
