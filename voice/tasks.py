from celery import shared_task

from voice.services import runner, sweep


@shared_task(name="voice.run_calls", acks_late=True)
def run_calls(call_ids):
    return runner.run_simulated(call_ids)


@shared_task(name="voice.sweep", acks_late=True)
def sweep_calls():
    return sweep.sweep()
