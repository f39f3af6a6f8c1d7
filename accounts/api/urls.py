from django.urls import path

from accounts.api import views

urlpatterns_v2 = [
    path("auth/me", views.MeView.as_view(), name="auth-me"),
    path("finance/balance", views.BalanceView.as_view(), name="finance-balance"),
    path("account/balance", views.LegacyBalanceView.as_view(), name="account-balance"),
    path("finance/credits", views.AddCreditsView.as_view(), name="finance-credits"),
]

urlpatterns_v3 = [
    path("auth/token/generate", views.TokenGenerateView.as_view(), name="token-generate"),
    path("auth/token/refresh", views.TokenRefreshView.as_view(), name="token-refresh"),
]
