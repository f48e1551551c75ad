"""Each image records the vulnerability DB it was last matched with (images.db_identity), in
place of one service-wide "last re-evaluated" mark: a DB swapped before the first check or an
analysis that read the old DB and finished after a re-evaluation began is matched again."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_image_db_identity"
down_revision = "0007_query_indexes"
branch_labels = None
depends_on = None

LAST_BUILT = "reevaluated_db_built"
"""The service_state key of the old service-wide mark."""


def upgrade() -> None:
    """Add images.db_identity; analysed images take the DB of the last re-evaluation (what
    the service assumed of them until now)."""
    with op.batch_alter_table("images", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("db_identity", sa.String(length=200), nullable=False, server_default="")
        )
    state = sa.table("service_state", sa.column("key"), sa.column("value"))
    images = sa.table("images", sa.column("status"), sa.column("db_identity"))
    last = sa.select(state.c.value).where(state.c.key == LAST_BUILT).scalar_subquery()
    op.execute(
        images.update()
        .where(images.c.status == "analysed")
        .values(db_identity=sa.func.coalesce(last, ""))
    )
    op.execute(state.delete().where(state.c.key == LAST_BUILT))


def downgrade() -> None:
    """Revert this revision (the service-wide mark is set again at the next check)."""
    with op.batch_alter_table("images", schema=None) as batch_op:
        batch_op.drop_column("db_identity")
