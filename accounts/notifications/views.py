from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts.notifications.models import Notification
from accounts.notifications.services import mark_all_read
from accounts.permissions import account_required
from portal.pagination import paginate


@account_required()
def notification_list(request):
    qs = Notification.objects.for_account(request.account)
    return render(request, "notifications/list.html", {"page": paginate(request, qs)})


@account_required()
@require_POST
def notification_read_all(request):
    mark_all_read(request.account)
    return redirect("notifications:list")
