import os
import signal
import threading

import pytest

from tfart import interrupts


def test_ctrl_c_is_noted_where_it_lands_and_raised_between_steps():
    with interrupts.between_steps() as check:
        check()  # nothing yet
        os.kill(os.getpid(), signal.SIGINT)  # lands mid-step: noted, not raised here
        reached_the_end_of_the_step = True
        with pytest.raises(KeyboardInterrupt):
            check()
    assert reached_the_end_of_the_step
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # put back


@pytest.mark.parametrize("ending", ["the loop's end", "an exception"])
def test_a_ctrl_c_after_the_last_check_is_raised_as_the_block_ends(ending):
    """A Ctrl-C noted after the last check is not dropped when the block ends however it ends (a
    loop run out; a stall's StopRun, which perception.draw would answer with a new start)."""
    class Stall(Exception):
        pass
    with pytest.raises(KeyboardInterrupt):
        with interrupts.between_steps():
            os.kill(os.getpid(), signal.SIGINT)
            if ending == "an exception":
                raise Stall
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_a_second_ctrl_c_interrupts_at_once():
    with pytest.raises(KeyboardInterrupt):
        with interrupts.between_steps():
            os.kill(os.getpid(), signal.SIGINT)
            os.kill(os.getpid(), signal.SIGINT)
            for _ in range(10 ** 6):  # the handler runs between bytecodes
                pass
            pytest.fail("the second Ctrl-C did not interrupt")


def test_outside_the_main_thread_it_leaves_signals_alone():
    seen = []

    def job():
        with interrupts.between_steps() as check:
            seen.append(signal.getsignal(signal.SIGINT))
            check()
    thread = threading.Thread(target=job)
    thread.start()
    thread.join()
    assert seen == [signal.default_int_handler]


def test_the_optimization_loop_stops_at_the_step_ctrl_c_lands_in():
    from tfart import generators, objectives, optimize
    from tfart.monitors import Monitor

    class CtrlCAtStep3(Monitor):
        def on_step(self, run, loss, terms):
            if run.step == 3:
                os.kill(os.getpid(), signal.SIGINT)

    result = optimize.optimize(generators.make("pixel", 8, 8), objectives.total_variation(), None, 8, 8,
                               optimize.Settings(steps=50, lr=0.01), monitors=[CtrlCAtStep3()])
    assert result.stopped == "interrupted" and result.step == 3
