"""population maps, latent spaces, clusters and insights

Revision ID: 0002
Revises: 0001
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('map_config',
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['version_id'], ['model_version.id'], name=op.f('fk_map_config_version_id_model_version'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('version_id', name=op.f('pk_map_config'))
    )
    op.create_table('population_map',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('epoch', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('job_id', sa.Integer(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('num_points', sa.Integer(), nullable=False),
    sa.Column('latent_dims', sa.Integer(), nullable=False),
    sa.Column('layers', sa.JSON(), nullable=False),
    sa.Column('timings', sa.JSON(), nullable=False),
    sa.Column('init', sa.String(length=32), nullable=False),
    sa.Column('trustworthiness', sa.Float(), nullable=True),
    sa.Column('artifact_prefix', sa.String(length=300), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['job_id'], ['job.id'], name=op.f('fk_population_map_job_id_job'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['version_id'], ['model_version.id'], name=op.f('fk_population_map_version_id_model_version'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_population_map')),
    sa.UniqueConstraint('version_id', 'epoch', name='uq_population_map_version_epoch')
    )
    with op.batch_alter_table('population_map', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_population_map_version_id'), ['version_id'], unique=False)

    op.create_table('map_cluster',
    sa.Column('map_id', sa.Integer(), nullable=False),
    sa.Column('cluster', sa.Integer(), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('mean_loss', sa.Float(), nullable=False),
    sa.Column('accuracy', sa.Float(), nullable=False),
    sa.Column('majority_label', sa.Integer(), nullable=False),
    sa.Column('label_purity', sa.Float(), nullable=False),
    sa.Column('split_mix', sa.JSON(), nullable=False),
    sa.Column('x', sa.Float(), nullable=False),
    sa.Column('y', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['map_id'], ['population_map.id'], name=op.f('fk_map_cluster_map_id_population_map'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('map_id', 'cluster', name=op.f('pk_map_cluster'))
    )
    op.create_table('map_insight',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('map_id', sa.Integer(), nullable=False),
    sa.Column('rank', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('sentence', sa.Text(), nullable=False),
    sa.Column('sample_ids', sa.JSON(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('cluster', sa.Integer(), nullable=True),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['map_id'], ['population_map.id'], name=op.f('fk_map_insight_map_id_population_map'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_map_insight')),
    sa.UniqueConstraint('map_id', 'rank', name='uq_map_insight_map_rank')
    )
    with op.batch_alter_table('map_insight', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_map_insight_map_id'), ['map_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('map_insight', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_map_insight_map_id'))
    op.drop_table('map_insight')
    op.drop_table('map_cluster')
    with op.batch_alter_table('population_map', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_population_map_version_id'))
    op.drop_table('population_map')
    op.drop_table('map_config')
