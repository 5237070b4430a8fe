"""The ``tandem`` command line, one module per subject; this module is its table of contents.

The commands are registered here, in the order ``tandem --help`` lists them: admin
(api/cli/admin.py), week (api/cli/week.py), city and tour (api/cli/city.py), plan (api/cli/planning.py), replay, sweep
and generate-day (api/cli/replays.py), serve and demo (api/cli/server.py), planner (api/cli/planner.py). The entry
point is ``api.cli:app`` (pyproject's ``[project.scripts]``); ``python -m api.cli`` runs it too.
"""

from __future__ import annotations

import typer

from api.cli.admin import admin_app, backup_command, restore_command
from api.cli.city import city_app, tour
from api.cli.planner import planner
from api.cli.planning import plan
from api.cli.replays import generate_day_command, replay, sweep
from api.cli.server import demo, serve
from api.cli.week import week_app

app = typer.Typer(help="Tandem: dispatch for bike and cargo-bike delivery cooperatives.", no_args_is_help=True)
app.add_typer(city_app, name="city")
app.add_typer(admin_app, name="admin")
app.add_typer(week_app, name="week")
app.command()(plan)
app.command()(tour)
app.command()(serve)
app.command()(planner)
app.command()(replay)
app.command()(sweep)
app.command("generate-day")(generate_day_command)
app.command()(demo)
app.command("backup")(backup_command)
app.command("restore")(restore_command)

__all__ = ["app"]
