"""The address test clients use: the server answers only to loopback Host names
(glasslm/web/guard.py), and TestClient's default "testserver" is not one."""

LOCAL = "http://127.0.0.1"
