"""A refused request (401, 403, a redirect to a login page) names the credential variables to set.

A real loopback server answers as an authenticating proxy does (``FaultHandler``'s unauthorized,
forbidden and login behaviours); the message says which of ``GATE_PROMETHEUS_TOKEN``,
``GATE_PROMETHEUS_USER`` and ``GATE_PROMETHEUS_PASSWORD`` were set, and never shows a value.
"""

from __future__ import annotations

import pytest

from pytest_gate.core.query import DataState, Gauge, Selector
from pytest_gate.sources.auth import PASSWORD_ENV, TOKEN_ENV, USER_ENV, WHERE_CREDENTIALS_GO
from tests.sources.conftest import LOGIN_STATE, FaultServer, SnapshotFactory

UP = Gauge(Selector("up"))
SECRET = "s3cr3t-v4lue"


def refused(open_source: SnapshotFactory, url: str, env: dict[str, str] | None = None) -> str:
    """The message of an ``up`` query against ``url``, which must be an error."""
    answer = open_source(prometheus_url=url, env=env).ask(UP)
    assert answer.state is DataState.ERROR, answer.message
    assert SECRET not in answer.message
    return answer.message


def test_401_without_credentials_names_the_variables_and_says_none_is_set(
    fault_server: FaultServer, open_source: SnapshotFactory
) -> None:
    """No variable set: the message lists all three and says nothing was sent."""
    message = refused(open_source, f"{fault_server.url}/unauthorized/none")
    assert "HTTP 401 Unauthorized" in message
    assert WHERE_CREDENTIALS_GO in message
    assert "none of them is set, so no credentials were sent" in message


def test_401_with_a_token_says_the_token_was_sent_without_showing_it(
    fault_server: FaultServer, open_source: SnapshotFactory
) -> None:
    """A rejected token: the message says GATE_PROMETHEUS_TOKEN was sent; its value is not in it."""
    message = refused(
        open_source, f"{fault_server.url}/unauthorized/token", env={TOKEN_ENV: SECRET}
    )
    assert f"{TOKEN_ENV} is set and was sent as a bearer token" in message


def test_403_with_basic_auth_says_user_and_password_were_sent(
    fault_server: FaultServer, open_source: SnapshotFactory
) -> None:
    """A 403 names the basic-auth pair as what was sent, and asks for credentials that may read."""
    env = {USER_ENV: "gate", PASSWORD_ENV: SECRET}
    message = refused(open_source, f"{fault_server.url}/forbidden/basic", env=env)
    assert "HTTP 403 Forbidden" in message
    assert f"{USER_ENV} and {PASSWORD_ENV} are set and were sent as basic auth" in message


def test_credentials_in_the_url_are_named_as_what_was_sent(
    fault_server: FaultServer, open_source: SnapshotFactory
) -> None:
    """With a user and password in the URL and no variable, the message says the URL's were sent."""
    url = fault_server.url.replace("http://", f"http://gate:{SECRET}@") + "/unauthorized/url"
    message = refused(open_source, url)
    assert "the URL's user and password were sent as basic auth" in message
    assert "gate:" not in message


def test_an_empty_variable_is_named_as_ignored(
    fault_server: FaultServer, open_source: SnapshotFactory
) -> None:
    """``GATE_PROMETHEUS_TOKEN=`` (set, empty) sends nothing, and the message says so."""
    message = refused(open_source, f"{fault_server.url}/unauthorized/empty", env={TOKEN_ENV: ""})
    assert f"({TOKEN_ENV} set but empty, ignored)" in message


def test_a_redirect_to_a_login_page_is_a_refusal_not_followed(
    fault_server: FaultServer, open_source: SnapshotFactory
) -> None:
    """A 302 to a login page names its address (without the query's state token) and the
    variables; the login page itself is never fetched."""
    message = refused(open_source, f"{fault_server.url}/login/sso", env={TOKEN_ENV: SECRET})
    assert f"HTTP 302 redirect to {fault_server.url}/login-page/sso:" in message
    assert WHERE_CREDENTIALS_GO in message and f"{TOKEN_ENV} is set" in message
    assert LOGIN_STATE not in message
    assert fault_server.hits["login-page/sso"] == 0


@pytest.mark.parametrize("behaviour", ["http500", "badjson"])
def test_other_failures_do_not_talk_about_credentials(
    fault_server: FaultServer, open_source: SnapshotFactory, behaviour: str
) -> None:
    """Only a refusal mentions credentials: a 500 or a bad body keeps its own cause."""
    message = refused(open_source, f"{fault_server.url}/{behaviour}/not-auth")
    assert TOKEN_ENV not in message
