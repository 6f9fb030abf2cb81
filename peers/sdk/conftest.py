"""Fixtures for the SDK tests: clients built the way each SDK's users build
them, pointed at the simulators that peers/sdk_test.go starts.

Environment (set by the Go test):
  HUBSPOT_URL, HUBSPOT_TOKEN
  SALESFORCE_URL (https, the simulator behind a loopback TLS listener),
  SALESFORCE_CA_FILE (that listener's certificate),
  SALESFORCE_CLIENT_ID, SALESFORCE_CLIENT_SECRET,
  SALESFORCE_USERNAME, SALESFORCE_PASSWORD, SALESFORCE_JWT_KEY_FILE
"""
import os
from urllib.parse import urlsplit, urlunsplit

import pytest
import requests
from requests.adapters import HTTPAdapter


def env(name):
    value = os.environ.get(name)
    if not value:
        pytest.fail(f"{name} is not set: run these tests through `go test ./peers` (peers/sdk_test.go)")
    return value


@pytest.fixture(scope="session")
def hubspot_client():
    import hubspot

    # `host` is a field of the generated Configuration; Client passes every
    # keyword through to it (hubspot/discovery/discovery_base.py).
    return hubspot.Client.create(access_token=env("HUBSPOT_TOKEN"), host=env("HUBSPOT_URL"))


class SalesforceHosts(HTTPAdapter):
    """Sends requests for *.salesforce.com to the simulator, as a hosts-file
    entry would: simple-salesforce builds every login URL as
    https://{domain}.salesforce.com (simple_salesforce/login.py) and has no
    base-URL setting. Scheme, path, query, headers and body are untouched,
    and TLS is verified against the simulator's certificate."""

    def __init__(self, target):
        super().__init__()
        self.target = urlsplit(target)

    def send(self, request, **kwargs):
        parts = urlsplit(request.url)
        if parts.hostname and parts.hostname.endswith(".salesforce.com"):
            request.url = urlunsplit((self.target.scheme, self.target.netloc, parts.path, parts.query, parts.fragment))
        return super().send(request, **kwargs)


@pytest.fixture(scope="session")
def sf_session():
    s = requests.Session()
    s.verify = env("SALESFORCE_CA_FILE")
    s.mount("https://", SalesforceHosts(env("SALESFORCE_URL")))
    return s


@pytest.fixture(scope="session")
def sf_settings():
    return {
        "url": env("SALESFORCE_URL"),
        "client_id": env("SALESFORCE_CLIENT_ID"),
        "client_secret": env("SALESFORCE_CLIENT_SECRET"),
        "username": env("SALESFORCE_USERNAME"),
        "password": env("SALESFORCE_PASSWORD"),
        "jwt_key_file": env("SALESFORCE_JWT_KEY_FILE"),
    }


@pytest.fixture(scope="session")
def sf(sf_session, sf_settings):
    """The client most tests use: OAuth 2.0 client credentials flow, which
    simple-salesforce runs when given consumer_key, consumer_secret and a
    My Domain (README, "OAuth 2.0 Client Credentials Flow")."""
    from simple_salesforce import Salesforce

    return Salesforce(consumer_key=sf_settings["client_id"], consumer_secret=sf_settings["client_secret"],
                      domain="crmhub-sim.my", session=sf_session)
