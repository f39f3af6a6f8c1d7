"""Voice pages: the TTS preview, flows (editor, graph, test call), sound library, call logs with the
recording player, a bulk call's page with its follow-ups, live calls, conferences, numbers (the
composer is `composer.py`). Each view renders the full page, or its fragment for HTMX; every
change goes through voice.services."""

import json

from django.contrib import messages
from django.db.models import Count, F, Prefetch, Q, Sum
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts.permissions import account_required
from portal import composer as composer_page
from portal.core.errors import DomainError
from portal.core.tenancy import get_for_account_or_404
from portal.pages import form_errors_from
from portal.pagination import paginate
from voice import forms
from voice.models import Call, CallGroup, CallStatus, Conference, Recording, VoiceNumber
from voice.services import calls, composer, conferences, flows, quotes, sounds, storage, tts
from voice.views import choices
from voice.views import graph as flow_graph


@account_required("send")
@require_POST
def tts_preview(request):
    """The exact speech a TTS call will play, as an <audio> player (fragment)."""
    form = forms.TtsForm(request.POST, prefix="tts", bridges=choices.bridges(request.account))
    form.fields["bridge"].required = False
    context = {"form": form}
    if form.is_valid():
        data = form.cleaned_data
        try:
            voice, label = tts.resolve(data["voiceid"], "", data["gender"])
            wav = tts.speak(data["text"], voice)
        except DomainError as exc:
            form_errors_from(form, exc)
        else:
            key = tts.cache_key(data["text"], voice)
            context.update(
                url=storage.signed_url("tts", key, seconds=600, absolute_url=False),
                seconds=round(tts.seconds_of(wav), 1),
                voice=label,
            )
    return render(request, "voice/partials/tts_preview.html", context, status=422 if form.errors else 200)


# Flows


@account_required()
def flow_list(request):
    page = paginate(request, choices.flows(request.account))
    template = "voice/partials/flow_table.html" if request.htmx else "voice/flow_list.html"
    return render(request, template, {"page": page})


def _flow_page(request, form, flow=None, status=200):
    definition = None
    if flow is not None:
        definition = flow.definition
    graph = flow_graph.layout(definition) if definition else None
    return render(
        request,
        "voice/flow_form.html",
        {"form": form, "flow": flow, "graph": graph, "test_form": forms.TestCallForm(prefix="test")},
        status=status,
    )


@account_required("send")
def flow_create(request):
    form = forms.FlowForm(request.POST or None, initial={"definition": json.dumps(EXAMPLE_FLOW, indent=2)})
    if request.method == "POST" and form.is_valid():
        try:
            flow = flows.create_flow(
                account=request.account,
                name=form.cleaned_data["name"],
                definition=form.cleaned_data["definition"],
                actor=request.user,
            )
        except DomainError as exc:
            form_errors_from(form, exc)
        else:
            messages.success(request, f"Flow {flow.name} saved (flow_id {flow.pk}).")
            return redirect("voice:flow_edit", pk=flow.pk)
    return _flow_page(request, form, status=422 if form.errors else 200)


@account_required("send")
def flow_edit(request, pk):
    flow = get_for_account_or_404(choices.flows(request.account), request.account, pk=pk)
    form = forms.FlowForm(request.POST or None, initial=forms.FlowForm.initial_for(flow))
    if request.method == "POST" and form.is_valid():
        try:
            flows.update_flow(
                flow=flow,
                name=form.cleaned_data["name"],
                definition=form.cleaned_data["definition"],
                actor=request.user,
            )
        except DomainError as exc:
            form_errors_from(form, exc)
        else:
            messages.success(request, f"Flow {flow.name} saved.")
            return redirect("voice:flow_edit", pk=flow.pk)
    return _flow_page(request, form, flow, status=422 if form.errors else 200)


@account_required("send")
@require_POST
def flow_delete(request, pk):
    flow = get_for_account_or_404(choices.flows(request.account), request.account, pk=pk)
    flows.delete_flow(flow=flow, actor=request.user)
    messages.success(request, f"Flow {flow.name} deleted.")
    return redirect("voice:flow_list")


@account_required("send")
@require_POST
def flow_test_call(request, pk):
    """A test call of the flow to the user's own number, on the account's simulator bridge."""
    flow = get_for_account_or_404(choices.flows(request.account), request.account, pk=pk)
    form = forms.TestCallForm(request.POST, prefix="test")
    bridge = calls.simulator_bridge(request.account)
    context = {"test_form": form, "flow": flow}
    if bridge is None:
        form.add_error(None, "The account has no simulator bridge number for test calls.")
    elif form.is_valid():
        try:
            (call,) = calls.outgoing(
                account=request.account,
                bridge=bridge.number,
                to=form.cleaned_data["to"],
                flow=flow,
                variables=form.variables_dict(),
                name=f"Test of {flow.name}",
                actor=request.user,
            )
        except DomainError as exc:
            form_errors_from(form, exc)
        else:
            context["call"] = call
    status = 422 if form.errors else 200
    if request.htmx:
        return render(request, "voice/partials/test_call.html", context, status=status)
    if "call" in context:
        return redirect("voice:call_detail", pk=context["call"].uuid)
    return _flow_page(request, forms.FlowForm(initial=forms.FlowForm.initial_for(flow)), flow, status=status)


EXAMPLE_FLOW = {
    "steps": [
        {
            "id": "hello",
            "type": "say",
            "text": "Hello {{Name}}. Press 1 to talk to us, 2 to hear this again.",
            "next": "menu",
        },
        {"id": "menu", "type": "gather", "digits": 1, "timeout": 5, "next": "route"},
        {
            "id": "route",
            "type": "branch",
            "value": "{{menu.digits}}",
            "cases": {"1": "agent", "2": "hello"},
            "default": "bye",
        },
        {
            "id": "agent",
            "type": "bridge",
            "numbers": ["919800000101"],
            "strategy": "sequential",
            "record": True,
            "next": "bye",
            "failed": "bye",
        },
        {"id": "bye", "type": "say", "text": "Thank you. Goodbye.", "next": "end"},
        {"id": "end", "type": "hangup"},
    ]
}


# Sounds


@account_required()
def sound_list(request):
    form = forms.SoundForm()
    return _sound_page(request, form)


def _sound_page(request, form, status=200):
    page = paginate(request, choices.sounds(request.account))
    for sound in page.object_list:
        sound.url = storage.signed_url("sound", sound.uuid, seconds=3600, absolute_url=False)
        sound.bars = [(i * 3, 16 - max(p * 16 // 100, 1), max(p * 32 // 100, 2)) for i, p in enumerate(sound.waveform)]
    template = (
        "voice/partials/sound_table.html" if request.htmx and request.method == "GET" else "voice/sound_list.html"
    )
    return render(request, template, {"page": page, "form": form}, status=status)


@account_required("send")
@require_POST
def sound_upload(request):
    form = forms.SoundForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            sound = sounds.create_sound(
                account=request.account,
                upload=form.cleaned_data["audio"],
                name=form.cleaned_data["name"],
                actor=request.user,
                request=request,
            )
        except DomainError as exc:
            form_errors_from(form, exc)
        else:
            messages.success(
                request, f"Sound {sound.name} uploaded ({sound.duration_ms / 1000:.1f} s). Its id: {sound.uuid}"
            )
            return redirect("voice:sound_list")
    return _sound_page(request, form, status=422)


@account_required("send")
@require_POST
def sound_delete(request, pk):
    sound = get_for_account_or_404(choices.sounds(request.account), request.account, uuid=pk)
    sounds.delete_sound(sound=sound, actor=request.user, request=request)
    messages.success(request, f"Sound {sound.name} deleted.")
    return redirect("voice:sound_list")


# Calls


def _calls(account):
    return (
        Call.objects.for_account(account)
        .select_related("group")
        .prefetch_related(Prefetch("recordings", queryset=Recording.objects.order_by("pk")))
    )


@account_required()
def call_list(request):
    qs = _calls(request.account)
    status = request.GET.get("status", "")
    number = request.GET.get("number", "").strip().lstrip("+")
    if status:
        qs = qs.filter(status=status)
    if number:
        qs = qs.filter(to__startswith=number) | qs.filter(call_from__startswith=number)
    page = paginate(request, qs.order_by("-created_at", "-id"))
    template = "voice/partials/call_table.html" if request.htmx else "voice/call_list.html"
    return render(
        request,
        template,
        {
            "page": page,
            "statuses": CallStatus.FINAL + (CallStatus.QUEUED, CallStatus.IN_PROGRESS),
            "status": status,
            "number": number,
        },
    )


@account_required()
def call_detail(request, pk):
    call = get_for_account_or_404(_calls(request.account), request.account, uuid=pk)
    recordings = [
        (r, storage.signed_url("recording", r.uuid, seconds=3600, absolute_url=False)) for r in call.recordings.all()
    ]
    template = "voice/partials/call_card.html" if request.htmx else "voice/call_detail.html"
    return render(request, template, {"call": call, "recordings": recordings})


@account_required()
def call_group_detail(request, pk):
    """A bulk call: its calls by status, its money, the numbers refused before calling, and the
    follow-ups (retry failed, call the ones who didn't get it) that open the composer."""
    group = get_for_account_or_404(CallGroup, request.account, uuid=pk)
    page = paginate(request, _calls(request.account).filter(group=group).order_by("pk"), 50)
    if request.htmx and not request.htmx.boosted:
        return render(request, "voice/partials/call_table.html", {"page": page})
    rows = Call.objects.for_account(request.account).filter(group=group)
    money = rows.aggregate(charged=Sum("charges"), given_back=Sum(F("reserved") - F("charges"), filter=Q(settled=True)))
    statuses = list(rows.order_by().values_list("status").annotate(n=Count("id")).order_by("-n", "status"))
    refused = {status: len(numbers) for status, numbers in (group.refused or {}).items()}
    ctx = {
        "group": group,
        "page": page,
        "statuses": statuses,
        "live": any(status in CallStatus.LIVE for status, _n in statuses),
        "charges": money["charged"] or 0,
        "refunded": money["given_back"] or 0,
        "refused": composer_page.refusal_rows(refused, quotes.REFUSAL_LABELS),
        "follow_ups": composer.follow_up_counts(request.account, group),
    }
    return render(request, "voice/call_group_detail.html", ctx)


@account_required()
def live_calls(request):
    rows = calls.live(request.account).order_by("-created_at")[:100]
    template = "voice/partials/live_table.html" if request.htmx else "voice/live.html"
    return render(request, template, {"rows": rows})


# Conferences and numbers


def _conference_page(request, form, status=200):
    page = paginate(request, Conference.objects.for_account(request.account))
    return render(request, "voice/conference_list.html", {"page": page, "form": form}, status=status)


@account_required()
def conference_list(request):
    return _conference_page(request, forms.ConferenceForm())


@account_required("send")
@require_POST
def conference_create(request):
    form = forms.ConferenceForm(request.POST)
    if form.is_valid():
        try:
            conference = conferences.create_conference(
                account=request.account, actor=request.user, request=request, **form.cleaned_data
            )
        except DomainError as exc:
            form_errors_from(form, exc)
        else:
            messages.success(request, f"Conference {conference.name or conference.number} created.")
            return redirect("voice:conference_list")
    return _conference_page(request, form, status=422)


@account_required()
def number_list(request):
    numbers = VoiceNumber.objects.for_account(request.account).select_related("inbound_flow")
    return render(request, "voice/number_list.html", {"numbers": numbers})
