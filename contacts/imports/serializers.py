"""The import record as the v2 API and the page's JSON show it."""

from portal.api.formats import flag, resource_time


def import_data(job, request=None):
    return {
        "id": job.pk,
        "file_name": job.filename,
        "format": job.file_format,
        "status": job.status,
        "total": job.total,
        "processed": job.processed,
        "progress": job.percent,
        "imported": job.imported,
        "added": job.added,
        "updated": job.updated,
        "skipped": job.skipped,
        "failed": job.invalid,
        "replace_tags": flag(job.replace_tags),
        "columns": [
            {"header": h, "field": job.mapping[i] if i < len(job.mapping) else ""} for i, h in enumerate(job.headers)
        ],
        "error": job.error or None,
        "created_at": resource_time(job.created_at),
        "updated_at": resource_time(job.updated_at),
        "started_at": resource_time(job.started_at),
        "finished_at": resource_time(job.finished_at),
    }
