"""The `depesche-backup` command line (English only: it is an operator's tool)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from backup.depesche_backup import operations as ops
from backup.depesche_backup import settings as backup_settings
from backup.depesche_backup.settings import BackupError


def _finish(report: ops.Report) -> None:
    for line in report.lines():
        click.echo(line)
    if not report.ok:
        sys.exit(1)


@click.group()
@click.option(
    "--config",
    "config_file",
    help="backup.toml (default: /etc/depesche/backup.toml, "
    "then DATA_DIR/backup.toml); DEPESCHE_BACKUP_* variables override it.",
)
@click.pass_context
def cli(ctx, config_file):
    """Encrypted backups of this Depesche instance at two sites (borgmatic/borg)."""
    ctx.obj = backup_settings.load(config_file)


@cli.command()
@click.pass_obj
def create(settings):
    """Snapshot the database, files and configuration; archive, prune and compact per site."""
    _finish(ops.create(settings))


@cli.command("list")
@click.pass_obj
def list_command(settings):
    """List the archives at each site."""
    _finish(ops.list_sites(settings))


@cli.command()
@click.option("--verify-data", is_flag=True, help="Read and verify every chunk (slow).")
@click.pass_obj
def check(settings, verify_data):
    """borg check of each repository and its archives."""
    _finish(ops.check(settings, verify_data=verify_data))


@cli.command()
@click.argument("archive")
@click.option("--site", type=click.Choice(["A", "B", "a", "b"]), help="Default: site A.")
@click.option(
    "--into",
    type=click.Path(path_type=Path),
    help="Restore into this new directory "
    "(and, for PostgreSQL, a new database) instead of over the live instance.",
)
@click.option("--database-name", help="PostgreSQL: name of the new database (with --into).")
@click.option("--yes-overwrite-live", is_flag=True, help="Needed to restore over the live data.")
@click.pass_obj
def restore(settings, archive, site, into, database_name, yes_overwrite_live):
    """Restore ARCHIVE (a name, or 'latest'), verified against its manifest."""
    if into is None:
        if not yes_overwrite_live:
            raise click.UsageError(
                "restoring over the live instance needs --yes-overwrite-live "
                "(or use --into DIR for a scratch copy)"
            )
        for line in ops.restore_live(settings, archive, site=site):
            click.echo(line)
        return
    restored = ops.restore_into(settings, archive, into, site=site, database_name=database_name)
    for line in restored.lines:
        click.echo(line)
    if restored.problems:
        click.echo(f"RESTORE FAILED VERIFICATION: the copy in {into} is not trustworthy", err=True)
        sys.exit(1)
    click.echo(f"restored into {restored.data_dir}; start it with:")
    click.echo(
        f"  DEPESCHE_DATA_DIR={restored.data_dir} "
        f"DEPESCHE_DATABASE_URL={restored.database_url} depesche serve"
    )


@cli.command()
@click.pass_obj
def drill(settings):
    """Restore the latest archive of each site into scratch space and prove it."""
    _finish(ops.drill(settings))


@cli.command("simulate-retention")
@click.option("--days", type=click.IntRange(1, 2000), required=True)
@click.option("--today", type=click.DateTime(["%Y-%m-%d"]), help="Simulated today.")
@click.pass_obj
def simulate_retention(settings, days, today):
    """N daily archives with past timestamps in throw-away repositories, pruned with the
    real configuration: prints kept=K oldest=DATE newest=DATE per site."""
    today = today.date() if today else None
    _finish(ops.simulate_retention(settings, days, today=today))


@cli.command("export-keys")
@click.argument("directory", type=click.Path(path_type=Path))
@click.pass_obj
def export_keys(settings, directory):
    """Export each repository's key into DIRECTORY; keep it apart from the backups."""
    _finish(ops.export_keys(settings, directory))


@cli.command()
@click.option("--after", help="Waiting period before the destruction, e.g. 28d.")
@click.option(
    "--handover",
    type=click.Path(file_okay=False, path_type=Path),
    help="Directory for the full data export handed to the customer.",
)
@click.option("--cancel", is_flag=True, help="Withdraw a scheduled destruction.")
@click.option("--status", "show", is_flag=True, help="Show the decommissioning record.")
@click.pass_obj
def decommission(settings, after, handover, cancel, show):
    """End of contract: hand over the full export, then destroy all data and both
    backup repositories after the waiting period (run `destroy` daily)."""
    from backup.depesche_backup import decommission as dec

    if show:
        lines = dec.status(settings)
    elif cancel:
        lines = dec.cancel(settings)
    else:
        if not after or not handover:
            raise click.UsageError("give --after (e.g. 28d) and --handover DIR")
        lines = dec.schedule(settings, after, handover)
    for line in lines:
        click.echo(line)


@cli.command()
@click.option("--today", type=click.DateTime(["%Y-%m-%d"]), help="Pretend it is this day.")
@click.pass_obj
def destroy(settings, today):
    """Carry out a scheduled destruction once it is due (before that: nothing happens)."""
    from datetime import UTC

    from backup.depesche_backup import decommission as dec

    now = today.replace(tzinfo=UTC) if today else None
    done, lines = dec.destroy(settings, now=now)
    for line in lines:
        click.echo(line)
    if not done and any("FAILED" in line for line in lines):
        sys.exit(1)


@cli.command()
@click.pass_obj
def status(settings):
    """Last success per site and action; exit 1 if a site has no backup in 26 hours."""
    healthy, lines = ops.status_lines(settings)
    for line in lines:
        click.echo(line)
    if not healthy:
        sys.exit(1)


def main(argv=None) -> None:
    from app.config import ConfigError

    try:
        cli.main(args=argv, prog_name="depesche-backup", standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        sys.exit(1)
    except (BackupError, ConfigError) as exc:
        click.echo(f"depesche-backup: {exc}", err=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
