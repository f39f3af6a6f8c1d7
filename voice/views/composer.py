"""The voice composer page: a bulk call to typed numbers, a file and segments (its summary is the
send's own quote), a test call to the member's confirmed number, a single call and a
text-to-speech call; follow-ups of an earlier bulk call (retry failed, call the ones who didn't
get it) open it with their recipients. The logic is `voice.services.composer`'s."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts.permissions import account_required
from accounts.services import credits
from messaging.channels.sms import test_numbers
from portal import composer as composer_page
from portal.core.errors import DomainError, ValidationFailed
from portal.pages import form_errors_from
from voice import forms
from voice.models import Call
from voice.services import calls, quotes, tts_calls
from voice.services import composer as service
from voice.views import choices

WORDS = {"verb": "Call", "verb_to": "Call"}  # "Call 3 recipients", "Call: 0 of 2 would be accepted"


def _composer_forms(request, which=None, initial=None):
    account = request.account
    data, files = (request.POST, request.FILES) if request.method == "POST" else (None, None)
    kwargs = {"bridges": choices.bridges(account), "flows": choices.flows(account), "sounds": choices.sounds(account)}
    return {
        "bulk": forms.BulkForm(
            data if which == "bulk" else None,
            files if which == "bulk" else None,
            prefix="bulk",
            account=account,
            initial=initial,
            **kwargs,
        ),
        "single": forms.CallForm(data if which == "single" else None, prefix="single", **kwargs),
        "tts": forms.TtsForm(data if which == "tts" else None, prefix="tts", bridges=kwargs["bridges"]),
    }


def _follow_up(account, value, who):
    """(group, who) when the composer calls part of an earlier bulk call again, else None."""
    group = service.follow_up_group(account, value) if who in service.FOLLOW_UPS else None
    return (group, who) if group is not None else None


def _initial(request):
    """The bulk form's starting values: a segment's "Call", or a follow-up of an earlier bulk call
    (its bridge, flow or sound, variables and who it goes to)."""
    initial = {"segments": request.GET.getlist("segment")}
    who = request.GET.get("who", "")
    follow_up = _follow_up(request.account, request.GET.get("retry"), who)
    if follow_up is None:
        return initial, None
    group = follow_up[0]
    initial.update(
        follow_up=str(group.uuid),
        follow_up_who=who,
        name=f"{service.FOLLOW_UPS[who]}: {group.name or group.uuid}"[:100],
    )
    first = Call.objects.for_account(request.account).filter(group=group).order_by("pk").first()
    if first is not None:
        initial.update(
            bridge=first.bridge,
            flow=str(first.flow_id or ""),
            audio=first.audio,
            variables="\n".join(f"{k}={v}" for k, v in (first.variables or {}).items()),
        )
    return initial, group


def _bulk_data(account, values, variables):
    """The composer's fields as the service takes them (`values`: cleaned data or the raw POST)."""
    return {
        "bridge": values.get("bridge") or "",
        "to": values.get("to") or "",
        "segments": values.get("segments") or [],
        "flow": values.get("flow") or "",
        "audio": values.get("audio") or "",
        "variables": variables,
        "name": values.get("name") or "",
        "follow_up_obj": _follow_up(account, values.get("follow_up"), values.get("follow_up_who") or ""),
    }


def _send_bulk(request, form, test_to):
    """Send the bulk form's composition (or its test call); the flash says what happened.
    Returns the redirect to the bulk call's page, or None to show the composer again."""
    testing = "test" in request.POST
    if testing and not test_to:
        # A stale "Test call" button must never turn into a call to everyone.
        raise ValidationFailed({"": ["Confirm your test number first (Your test number page)."]})
    data = _bulk_data(request.account, form.cleaned_data, form.variables_dict())
    upload = form.cleaned_data.get("file")
    composition = service.compose(request.account, data, files=[upload] if upload else [])
    if testing:
        composition = service.as_test(composition, test_to)
    group, plan = service.send(account=request.account, composition=composition, actor=request.user)
    composer_page.report_outcome(
        request,
        accepted=plan.accepted,
        total=plan.total,
        refused=plan.refused,
        labels=quotes.REFUSAL_LABELS,
        noun="test call" if testing else "call",
    )
    if group is None or testing:
        return None
    return redirect("voice:call_group_detail", pk=group.uuid)


def _send_single(request, form):
    data = form.cleaned_data
    placed = calls.outgoing(
        account=request.account,
        bridge=data["bridge"],
        to=data["to"],
        flow_id=data["flow"] or None,
        audio=data["audio"] or None,
        variables=form.variables_dict(),
        actor=request.user,
    )
    messages.success(request, f"Call to {placed[0].to} queued.")


def _send_tts(request, form):
    data = form.cleaned_data
    options = {k: v for k, v in (("voiceid", data["voiceid"]), ("gender", data["gender"])) if v}
    tts_calls.outgoing_tts(
        account=request.account,
        bridge=data["bridge"],
        to=data["to"],
        text=data["text"],
        options=options,
        actor=request.user,
    )
    messages.success(request, f"Text-to-speech call to {data['to']} queued.")


@account_required("send")
def composer(request):
    which = request.POST.get("mode") if request.method == "POST" else None
    initial, follow_up_group = _initial(request)
    forms_ = _composer_forms(request, which, initial)
    test_to = test_numbers.verified_number(request.account, request.user)
    if which in forms_ and forms_[which].is_valid():
        form = forms_[which]
        try:
            if which == "bulk":
                response = _send_bulk(request, form, test_to)
                if response is not None:
                    return response
            else:
                (_send_single if which == "single" else _send_tts)(request, form)
                return redirect("voice:call_list")
        except DomainError as exc:
            form_errors_from(form, exc)
    if which == "bulk":
        follow_up_group = service.follow_up_group(request.account, request.POST.get("bulk-follow_up"))
    ctx = {"forms": forms_, "mode": which or "bulk", "follow_up_group": follow_up_group, "test_number": test_to}
    status = 422 if which in forms_ and forms_[which].errors else 200
    return render(request, "voice/composer.html", ctx, status=status)


def _summary(account, composition):
    """The send's own quote as the composer shows it, and what the calls are expected to cost."""
    balance = credits.balance(account)
    if not composition.audience.numbers:
        problem = "Add numbers to see the cost."
        return composer_page.Summary(quoted=False, balance=balance, problem=problem, **WORDS), None
    try:
        plan = service.quote(account, composition)
    except DomainError as exc:
        problem = next(iter(exc.errors.values()))[0] if getattr(exc, "errors", None) else exc.message
        return composer_page.Summary(quoted=False, balance=balance, problem=problem, **WORDS), None
    return composer_page.summarise(plan, balance, quotes.REFUSAL_LABELS, **WORDS), plan


@account_required("send")
@require_POST
def composer_preview(request):
    """The summary beside the composer (HTMX, on every edit, the file included): the send's own
    quote over the same recipients, and the call button's words (out of band)."""
    post = request.POST
    values = {name: post.get(f"bulk-{name}", "") for name in ("bridge", "to", "flow", "audio", "name", "follow_up")}
    values.update(segments=post.getlist("bulk-segments"), follow_up_who=post.get("bulk-follow_up_who", ""))
    data = _bulk_data(request.account, values, forms.parse_variables(post.get("bulk-variables")))
    composition = service.compose(request.account, data, files=request.FILES.getlist("bulk-file")[:1], strict=False)
    summary, plan = _summary(request.account, composition)
    ctx = {
        "summary": summary,
        "plan": plan,
        "estimate": quotes.estimated(plan) if plan is not None and plan.accepted else None,
        "audience": composition.audience,
    }
    return render(request, "voice/partials/composer_preview.html", ctx)
