"""The virtual device's shell: tokenizing, expansion, control flow, redirections, errors."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    ("line", "stdout", "status"),
    [
        ("echo hi", "hi\n", 0),
        ("echo 'a b'  \"c  d\" e\\ f", "a b c  d e f\n", 0),
        ("echo \"it's\" 'say \"x\"'", "it's say \"x\"\n", 0),
        ("false; echo $?", "1\n", 0),
        ("true && echo yes || echo no", "yes\n", 0),
        ("false && echo yes || echo no", "no\n", 0),
        ("exit 42", "", 42),
        ("X=1; echo $X ${X} \"$X\" '$X'", "1 1 1 $X\n", 0),
        ("X=outer; X=inner sh -c 'echo $X'; echo $X", "inner\nouter\n", 0),
        ("echo ${UNSET:-default} ${UNSET-} end", "default end\n", 0),
        ("echo $((6 * 7)) $((10 / 3))", "42 3\n", 0),
        ("echo $(echo nested $(echo deep))", "nested deep\n", 0),
        ("V='a  b'; for w in $V; do echo [$w]; done", "[a]\n[b]\n", 0),
        ("for i in 1 2 3; do echo $i; done | wc -l", "3\n", 0),
        ("if [ -d /data/local/tmp ]; then echo dir; else echo no; fi", "dir\n", 0),
        ("n=0; while [ $n -lt 3 ]; do n=$((n+1)); done; echo $n", "3\n", 0),
        ("{ echo a; echo b; } | grep b", "b\n", 0),
        ("(exit 3); echo $?", "3\n", 0),
        ("! false; echo $?", "0\n", 0),
        ("echo one # a comment", "one\n", 0),
        ("printf '%s-%d\\n' a 1 b 2", "a-1\nb-2\n", 0),
    ],
)
def test_shell_language(sh, line, stdout, status):
    out, _err, rc = sh(line)
    assert (out, rc) == (stdout, status)


def test_unknown_command_is_127_with_android_message(sh):
    out, err, rc = sh("frobnicate --now")
    assert (out, rc) == ("", 127)
    assert err == "/system/bin/sh: frobnicate: not found\n"


def test_redirections(sh):
    out, err, rc = sh("echo data > /data/local/tmp/r.txt; echo more >> /data/local/tmp/r.txt; "
                      "cat < /data/local/tmp/r.txt; rm /data/local/tmp/r.txt")
    assert (out, rc) == ("data\nmore\n", 0)
    out, err, rc = sh("ls /nonexistent 2>&1")
    assert "No such file or directory" in out and err == ""
    out, err, rc = sh("ls /nonexistent 2>/dev/null; echo rc=$?")
    assert out == "rc=1\n" and err == ""
    out, _, rc = sh("cat </dev/null; echo end")
    assert out == "end\n"


def test_stdin_reaches_the_command(sh):
    out, _, rc = sh("cat", stdin=b"piped")
    assert (out, rc) == ("piped", 0)


def test_syntax_error_is_reported(sh):
    _out, err, rc = sh("if true; then echo x")
    assert rc != 0 and "syntax error" in err


def test_permissions_of_app_private_data(sh):
    # The shell user cannot read another app's private directory (fs permissions).
    _, err, rc = sh("ls /data/data/com.android.phone")
    assert rc == 1 and "Permission denied" in err
    _, err, rc = sh("echo x > /system/bin/evil")
    assert rc == 1 and "Read-only file system" in err


def test_getprop_setprop_rules(sh):
    out, _, _ = sh("getprop ro.build.version.sdk")
    assert out == "34\n"
    _, err, rc = sh("setprop ro.build.version.sdk 99")
    assert rc == 1 and "Failed to set property" in err
    out, _, rc = sh("setprop debug.harness.test hello; getprop debug.harness.test")
    assert (out, rc) == ("hello\n", 0)


def test_glob_expansion(sh):
    sh("mkdir -p /data/local/tmp/g; touch /data/local/tmp/g/a.apk /data/local/tmp/g/b.apk "
       "/data/local/tmp/g/c.txt")
    out, _, _ = sh("echo /data/local/tmp/g/*.apk; echo /data/local/tmp/g/*.none")
    assert out == ("/data/local/tmp/g/a.apk /data/local/tmp/g/b.apk\n"
                   "/data/local/tmp/g/*.none\n")
    sh("rm -r /data/local/tmp/g")


def test_toybox_dispatch_and_md5sum(sh):
    out, _, _rc = sh("echo -n abc > /data/local/tmp/m; toybox md5sum /data/local/tmp/m; "
                    "rm /data/local/tmp/m")
    assert out == "900150983cd24fb0d6963f7d28e17f72  /data/local/tmp/m\n"
