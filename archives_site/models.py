"""The append-only, hash-chained audit log (DESIGN §4).

Rows are written only by :func:`archives_site.audit.audit_record`; on PostgreSQL a trigger
refuses UPDATE and DELETE on them. ``seq`` is a gap-free counter taken under a row lock on the
separately stored :class:`AuditChainHead`, so a deleted row — even the last — is detected by
``manage.py audit_verify``.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

GENESIS_HASH = "0" * 64


class AuditEvent(models.Model):
    """One sensitive event: who did what to which object, when, from where, and why."""

    seq = models.BigIntegerField(_("sequence"), unique=True, editable=False)
    at = models.DateTimeField(_("time"), editable=False, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,  # the log outlives deleted users; actor_name keeps who it was
    )
    actor_name = models.CharField(_("actor name"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=64, db_index=True)
    object_type = models.CharField(_("object type"), max_length=100, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    data = models.JSONField(_("details"), default=dict, blank=True)
    prev_hash = models.CharField(max_length=64, editable=False)
    hash = models.CharField(max_length=64, editable=False)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-seq"]
        indexes = [models.Index(fields=["object_type", "object_id"], name="audit_object")]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.object_repr}"


class AuditChainHead(models.Model):
    """The chain's last sequence number and hash, stored apart from the rows (one row, pk=1)."""

    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64, default=GENESIS_HASH)

    class Meta:
        verbose_name = _("audit chain head")

    def __str__(self) -> str:
        return f"head #{self.seq}"


class DeferredIndex(models.Model):
    """An index a bulk load dropped in its transaction, owed until built again after the commit
    (:mod:`archives_site.bulk`). Written and read with SQL there; a model so it has a migration."""

    index_name = models.CharField(max_length=63, primary_key=True)
    table_name = models.CharField(max_length=63)
    definition = models.TextField()

    class Meta:
        db_table = "bulk_deferred_index"
        verbose_name = _("deferred index build")

    def __str__(self) -> str:
        return self.index_name


class ApiToken(models.Model):
    """An API token (``Authorization: Token <key>``). Only the SHA-256 of the key is stored; the key
    is shown once, when issued (:mod:`archives_site.tokens`).

    A token is dead once revoked, past ``expires_at``, when its user is deactivated, or when the
    user's password changes: ``password_fingerprint`` is an HMAC of the password hash at issue
    time, compared on every request (no signals needed).
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="api_tokens"
    )
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    password_fingerprint = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"))
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.user} #{self.pk}"
