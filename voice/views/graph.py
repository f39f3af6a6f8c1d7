"""The flow editor's graph view: steps laid out in layers (breadth-first from the start), edges
as lines, drawn by the template as SVG (attributes only: no inline style or script)."""

from voice.flows.definition import EXITS

BOX_W, BOX_H, GAP_X, GAP_Y = 150, 44, 40, 50


def layout(definition):
    steps = {s["id"]: s for s in definition["steps"]}
    level = {definition["start"]: 0}
    order = [definition["start"]]
    for sid in order:
        for target in _targets(steps[sid]):
            if target in steps and target not in level:
                level[target] = level[sid] + 1
                order.append(target)
    rows = {}
    for sid in order:
        rows.setdefault(level[sid], []).append(sid)
    nodes = {}
    for depth, ids in rows.items():
        for index, sid in enumerate(ids):
            nodes[sid] = {
                "id": sid,
                "type": steps[sid]["type"],
                "x": 10 + index * (BOX_W + GAP_X),
                "y": 10 + depth * (BOX_H + GAP_Y),
            }
    edges = []
    for sid in order:
        for target, label in _labelled(steps[sid]):
            if target in nodes:
                a, b = nodes[sid], nodes[target]
                edges.append(
                    {
                        "x1": a["x"] + BOX_W // 2,
                        "y1": a["y"] + BOX_H,
                        "x2": b["x"] + BOX_W // 2,
                        "y2": b["y"],
                        "label": label,
                        "back": b["y"] <= a["y"],
                    }
                )
    width = max((n["x"] for n in nodes.values()), default=0) + BOX_W + 20
    height = max((n["y"] for n in nodes.values()), default=0) + BOX_H + 20
    return {
        "nodes": list(nodes.values()),
        "edges": edges,
        "width": width,
        "height": height,
        "box_w": BOX_W,
        "box_h": BOX_H,
    }


def _labelled(step):
    for field in EXITS.get(step["type"], ()):
        if step.get(field):
            yield step[field], "" if field == "next" else field
    for value, target in step.get("cases", {}).items():
        yield target, value


def _targets(step):
    return [target for target, _ in _labelled(step)]
