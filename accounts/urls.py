from django.urls import path

from accounts.views import audit, auth, billing, keys, security, team

app_name = "accounts"

urlpatterns = [
    path("login/", auth.login_view, name="login"),
    path("login/verify/", auth.login_2fa, name="login_2fa"),
    path("logout/", auth.logout_view, name="logout"),
    path("password-reset/", auth.password_reset, name="password_reset"),
    path("password-reset/sent/", auth.password_reset_done, name="password_reset_done"),
    path("password-reset/<uidb64>/<token>/", auth.password_reset_confirm, name="password_reset_confirm"),
    path("password-reset/complete/", auth.password_reset_complete, name="password_reset_complete"),
    path("switch-account/", auth.switch_account, name="switch_account"),
    path("settings/security/", security.security_settings, name="security"),
    path("settings/security/2fa/setup/", security.two_factor_setup, name="two_factor_setup"),
    path("settings/security/2fa/disable/", security.two_factor_disable, name="two_factor_disable"),
    path("settings/security/2fa/recovery-codes/", security.recovery_codes_regenerate, name="recovery_codes_regenerate"),
    path("developers/api-keys/", keys.api_key_list, name="api_key_list"),
    path("developers/api-keys/create/", keys.api_key_create, name="api_key_create"),
    path("developers/api-keys/<uuid:key_id>/revoke/", keys.api_key_revoke, name="api_key_revoke"),
    path("team/", team.team_list, name="team_list"),
    path("team/invite/", team.team_invite, name="team_invite"),
    path("team/members/<int:membership_id>/role/", team.member_role, name="member_role"),
    path("team/members/<int:membership_id>/remove/", team.member_remove, name="member_remove"),
    path("team/invitations/<int:invitation_id>/revoke/", team.invitation_revoke, name="invitation_revoke"),
    path("invitations/<str:token>/", team.invitation_accept, name="invitation_accept"),
    path("audit/", audit.audit_log, name="audit_log"),
    path("billing/", billing.ledger_list, name="ledger_list"),
    path("billing/<uuid:entry_id>/receipt.pdf", billing.ledger_receipt, name="ledger_receipt"),
    path("billing/alert/", billing.balance_alert, name="balance_alert"),
    path("customers/", billing.child_list, name="child_list"),
    path("customers/<uuid:account_id>/transfer/", billing.child_transfer, name="child_transfer"),
    path("customers/<uuid:account_id>/view/", billing.child_view, name="child_view"),
    path("view-as/stop/", billing.view_as_stop, name="view_as_stop"),
]
