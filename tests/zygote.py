"""Run a script as a fresh process would, without importing TensorFlow again: the tests' fork server.

Importing TensorFlow and Keras takes 5-6 s of a command's start on CI's two cores, and the tests
run a command in a process of its own about 200 times. The server imports them once (through
tfart, quietly, as a command does), then forks once per command: the child takes the client's
argv, working folder, environment and standard streams, and runs the script as `__main__`.

    python tests/zygote.py serve SOCKET                   # conftest's `zygote` fixture starts it
    python tests/zygote.py SOCKET scripts/cppn_art.py --width 8 ...   # exits with the script's code
    python tests/zygote.py SOCKET -c "print(1)"

The client passes its own file descriptors 0, 1 and 2, so the command writes where the client
would, and it forwards SIGINT and SIGTERM to the command. For CPU runs only: on a CUDA machine the
server's device lookup initialises CUDA, which a forked child cannot use. What differs from a fresh process:
TensorFlow, Keras, NumPy, Pillow and absl are already imported (environment variables they read
on import are the server's), so tests that check how a command starts (before TensorFlow loads,
Ctrl-C, several processes training together) start real processes instead.
"""
import atexit
import json
import os
import select
import signal
import socket
import struct
import sys


def serve(path):
    import importlib
    # tfart first: it installs the quiet import of TensorFlow, as a command's start does
    for name in ("tfart", "absl.app", "numpy", "PIL.Image", "tensorflow", "keras"):
        importlib.import_module(name)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(16)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the supervisors are reaped without waiting
    print("ready", flush=True)
    while True:
        connection, _ = listener.accept()
        sys.stdout.flush()
        sys.stderr.flush()
        if os.fork() == 0:
            listener.close()
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            try:
                supervise(connection)
            finally:  # never back into the server's loop, whatever happened (a client gone mid-request)
                os._exit(1)
        connection.close()


def supervise(connection):
    """In the server's child: fork the command, tell the client its pid, then its exit status (a
    command whose client has gone is killed)."""
    message, fds, _, _ = socket.recv_fds(connection, 1 << 16, 3)
    size = struct.unpack("!i", message[:4])[0]
    message = message[4:] + receive(connection, size + 4 - len(message))
    request = json.loads(message.decode())
    pid = os.fork()
    if pid == 0:
        connection.close()
        run(request, fds)
    for fd in fds:
        os.close(fd)
    try:
        connection.sendall(struct.pack("!i", pid))
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                connection.sendall(struct.pack("!i", os.waitstatus_to_exitcode(status)))
                return
            if select.select([connection], [], [], 0.05)[0] and not connection.recv(1):  # the client has gone
                break
    except OSError:  # the client has gone
        pass
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)


def run(request, fds):
    """In the command's process: take the client's streams, folder, environment and argv; run."""
    for target, fd in enumerate(fds):
        os.dup2(fd, target)
        os.close(fd)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    argv = request["argv"]
    code = 0
    try:
        if argv[0] == "-c":
            sys.argv, sys.path[0] = ["-c", *argv[2:]], ""
            exec(compile(argv[1], "<string>", "exec"), {"__name__": "__main__"})
        else:
            import runpy
            sys.argv = argv
            sys.path[0] = os.path.dirname(os.path.abspath(argv[0]))
            runpy.run_path(argv[0], run_name="__main__")
    except SystemExit as e:
        if isinstance(e.code, str):
            print(e.code, file=sys.stderr)
        code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    except BaseException:
        import traceback
        traceback.print_exc()
        code = 1
    try:
        atexit._run_exitfuncs()  # as an interpreter's exit would (a summary writer's flush, say)
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        os._exit(code)


def client(path, argv):
    """Have the server run argv; forward SIGINT and SIGTERM; exit with the command's status."""
    connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    connection.connect(path)
    request = {"argv": argv, "cwd": os.getcwd(), "env": dict(os.environ)}
    message = json.dumps(request).encode()
    socket.send_fds(connection, [struct.pack("!i", len(message)) + message], [0, 1, 2])
    pid = struct.unpack("!i", receive(connection, 4))[0]
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda number, _: forward(pid, number))
    status = receive(connection, 4)
    code = struct.unpack("!i", status)[0] if status else 1
    sys.exit(128 - code if code < 0 else code)  # killed by a signal: as a shell reports it


def forward(pid, number):
    try:
        os.kill(pid, number)
    except ProcessLookupError:  # the command has ended; its status is on the way
        pass


def receive(connection, size):
    data = b""
    while len(data) < size:
        try:
            chunk = connection.recv(size - len(data))
        except InterruptedError:
            continue
        if not chunk:
            return data
        data += chunk
    return data


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        serve(sys.argv[2])
    else:
        client(sys.argv[1], sys.argv[2:])
