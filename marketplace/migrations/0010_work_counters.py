"""Works' like, remix (published children) and visible-comment counters, filled from the
existing rows by one UPDATE ... FROM (SELECT ... GROUP BY) per counter; and the index a
storyline's ranking reads its most recent published takes by."""

from django.db import migrations, models

_FILL = (
    "UPDATE marketplace_work SET like_count = c.n FROM ("
    " SELECT work_id, COUNT(*) AS n FROM marketplace_like GROUP BY work_id) AS c"
    " WHERE marketplace_work.id = c.work_id",
    "UPDATE marketplace_work SET remix_count = c.n FROM ("
    " SELECT parent_id, COUNT(*) AS n FROM marketplace_work"
    " WHERE parent_id IS NOT NULL AND status = 'published' GROUP BY parent_id) AS c"
    " WHERE marketplace_work.id = c.parent_id",
    "UPDATE marketplace_work SET comment_count = c.n FROM ("
    " SELECT work_id, COUNT(*) AS n FROM marketplace_comment"
    " WHERE status = 'visible' GROUP BY work_id) AS c"
    " WHERE marketplace_work.id = c.work_id",
)


class Migration(migrations.Migration):
    dependencies = [("marketplace", "0009_feed_entries")]

    operations = [
        migrations.AddField(
            model_name="work",
            name="like_count",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="work",
            name="remix_count",
            field=models.PositiveIntegerField(default=0, help_text="Published children."),
        ),
        migrations.AddField(
            model_name="work",
            name="comment_count",
            field=models.PositiveIntegerField(default=0, help_text="Visible comments."),
        ),
        migrations.AddIndex(
            model_name="work",
            index=models.Index(
                condition=models.Q(status="published"),
                fields=["storyline", "-published_at", "-id"],
                name="work_storyline_published",
            ),
        ),
        # The fills last: PostgreSQL refuses a CREATE INDEX (or ALTER TABLE) on a table
        # with pending trigger events, which the UPDATEs leave until the commit.
        *(migrations.RunSQL(sql, migrations.RunSQL.noop) for sql in _FILL),
    ]
