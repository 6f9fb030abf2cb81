"""simple-salesforce against the Salesforce simulator, called the way its
README documents: login flows, SOQL query / query_more / query_all (and
include_deleted for queryAll), describe, sObject rows, sObject Collections
through sf.restful, and Bulk API 2.0 through sf.bulk2."""
import csv
import io
import uuid
from urllib.parse import urlsplit

import pytest
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import (SalesforceAuthenticationFailed, SalesforceMalformedRequest,
                                          SalesforceResourceNotFound)

OBJECTS = ("Account", "Contact", "Lead", "Opportunity")


def tag():
    return uuid.uuid4().hex[:10]


def count(sf, soql):
    return sf.query(soql)["totalSize"]


# --- OAuth and login ----------------------------------------------------------


def test_client_credentials_login(sf, sf_settings):
    assert sf.auth_type == "client-credentials"
    assert sf.session_id
    # instance_url from the token response is where every later call goes
    assert sf.sf_instance == urlsplit(sf_settings["url"]).netloc
    assert sf.query("SELECT Id FROM Contact LIMIT 1")["totalSize"] == 1


def test_password_grant_connected_app(sf_session, sf_settings):
    sf = Salesforce(username=sf_settings["username"], password=sf_settings["password"],
                    consumer_key=sf_settings["client_id"], consumer_secret=sf_settings["client_secret"],
                    session=sf_session)
    assert sf.auth_type == "password"
    assert sf.query("SELECT COUNT() FROM Lead")["totalSize"] > 0


def test_soap_login_with_security_token(sf_session, sf_settings):
    # The simulator's users have no security token: it is appended empty.
    sf = Salesforce(username=sf_settings["username"], password=sf_settings["password"], security_token="",
                    session=sf_session)
    assert sf.sf_instance == urlsplit(sf_settings["url"]).netloc
    assert sf.query("SELECT COUNT() FROM Account")["totalSize"] > 0


def test_jwt_bearer_login(sf_session, sf_settings):
    sf = Salesforce(username=sf_settings["username"], consumer_key=sf_settings["client_id"],
                    privatekey_file=sf_settings["jwt_key_file"], session=sf_session)
    assert sf.auth_type == "jwt-bearer"
    assert sf.query("SELECT COUNT() FROM Contact")["totalSize"] > 0


@pytest.mark.parametrize("kwargs", [
    {"consumer_secret": "wrong"},
    {"password": "wrong"},
])
def test_login_refused(sf_session, sf_settings, kwargs):
    args = {"username": sf_settings["username"], "password": sf_settings["password"],
            "consumer_key": sf_settings["client_id"], "consumer_secret": sf_settings["client_secret"]}
    args.update(kwargs)
    with pytest.raises(SalesforceAuthenticationFailed) as err:
        Salesforce(session=sf_session, **args)
    assert err.value.code in ("invalid_client", "invalid_grant")


def test_soap_login_refused(sf_session, sf_settings):
    with pytest.raises(SalesforceAuthenticationFailed) as err:
        Salesforce(username=sf_settings["username"], password="wrong", security_token="", session=sf_session)
    assert err.value.code == "INVALID_LOGIN"


# --- query, query_more, query_all, queryAll -----------------------------------


def test_query_paging_with_query_more(sf):
    total = count(sf, "SELECT COUNT() FROM Contact")
    assert total > 400, "the Go test seeds enough Contacts for several 200-record batches"
    page = sf.query("SELECT Id, FirstName, LastName, Email FROM Contact ORDER BY Id",
                    headers={"Sforce-Query-Options": "batchSize=200"})
    assert page["totalSize"] == total
    assert not page["done"] and len(page["records"]) == 200
    ids = [r["Id"] for r in page["records"]]
    pages = 1
    while not page["done"]:
        page = sf.query_more(page["nextRecordsUrl"], identifier_is_url=True)
        ids += [r["Id"] for r in page["records"]]
        pages += 1
    assert pages == -(-total // 200)
    assert len(ids) == len(set(ids)) == total
    assert ids == sorted(ids)
    # the locator alone (the README's first form) reads the same batch
    first = sf.query("SELECT Id FROM Contact ORDER BY Id", headers={"Sforce-Query-Options": "batchSize=200"})
    locator = first["nextRecordsUrl"].rsplit("/", 1)[1]
    again = sf.query_more(locator)
    assert [r["Id"] for r in again["records"]] == ids[200:400]


def test_query_all_and_iter(sf):
    total = count(sf, "SELECT COUNT() FROM Lead")
    res = sf.query_all("SELECT Id, Company, Email FROM Lead")
    assert res["totalSize"] == total == len(res["records"])
    assert all(r["attributes"]["type"] == "Lead" for r in res["records"])
    assert sum(1 for _ in sf.query_all_iter("SELECT Id FROM Lead")) == total


def test_query_relationship_and_where(sf):
    res = sf.query_all("SELECT Id, LastName, Account.Name FROM Contact WHERE AccountId != null LIMIT 50")
    assert res["records"], "generated Contacts carry AccountId"
    for r in res["records"]:
        assert r["Account"]["attributes"]["type"] == "Account"
        assert r["Account"]["Name"]


def test_query_all_include_deleted(sf):
    t = tag()
    created = sf.Contact.create({"LastName": "Deleted" + t, "Email": t + "@example.org"})
    sf.Contact.delete(created["id"])
    soql = f"SELECT Id, IsDeleted FROM Contact WHERE LastName = 'Deleted{t}'"
    assert sf.query_all(soql)["totalSize"] == 0
    rows = sf.query_all(soql, include_deleted=True)["records"]
    assert [(r["Id"], r["IsDeleted"]) for r in rows] == [(created["id"], True)]
    assert sf.query(soql, include_deleted=True)["totalSize"] == 1


def test_malformed_query(sf):
    with pytest.raises(SalesforceMalformedRequest) as err:
        sf.query("SELECT Id FROM")
    assert err.value.content[0]["errorCode"] == "MALFORMED_QUERY"


# --- describe -----------------------------------------------------------------


def test_describe_global_and_objects(sf):
    names = {o["name"] for o in sf.describe()["sobjects"]}
    assert set(OBJECTS) <= names
    for name in OBJECTS:
        d = getattr(sf, name).describe()
        assert d["name"] == name
        fields = {f["name"]: f for f in d["fields"]}
        assert fields["Id"]["type"] == "id"
    contact = {f["name"]: f for f in sf.Contact.describe()["fields"]}
    assert contact["Email"]["type"] == "email"
    assert contact["AccountId"]["referenceTo"] == ["Account"]
    assert sf.Contact.metadata()["objectDescribe"]["name"] == "Contact"


# --- sObject rows -------------------------------------------------------------


@pytest.fixture(scope="session")
def external_id(sf):
    """An External ID field created through the Tooling API, as a user adds
    one for upserts (simple-salesforce: sf.toolingexecute)."""
    name = "Crmhub_Test_Id__c"
    sf.toolingexecute("sobjects/CustomField", method="POST", json={
        "FullName": "Contact." + name,
        "Metadata": {"label": "crmhub test id", "type": "Text", "length": 64, "externalId": True, "unique": True},
    })
    fields = {f["name"]: f for f in sf.Contact.describe()["fields"]}
    assert fields[name]["externalId"] is True
    return name


def test_sobject_create_get_update_delete(sf):
    t = tag()
    created = sf.Contact.create({"FirstName": "Ada", "LastName": "Row" + t, "Email": f"ada.{t}@example.org"})
    assert created["success"] and created["id"].startswith("003")
    got = sf.Contact.get(created["id"])
    assert got["LastName"] == "Row" + t and got["Email"] == f"ada.{t}@example.org"
    assert sf.Contact.update(created["id"], {"Title": "Engineer"}) == 204
    assert sf.Contact.get(created["id"])["Title"] == "Engineer"
    assert sf.Contact.delete(created["id"]) == 204
    with pytest.raises(SalesforceResourceNotFound):
        sf.Contact.get(created["id"])


def test_sobject_upsert_by_external_id(sf, external_id):
    key = tag()
    assert sf.Contact.upsert(f"{external_id}/{key}", {"LastName": "Upsert" + key}) == 201
    # An update by upsert answers 200 with a body from API version 46.0 on (204
    # before); simple-salesforce 1.12.10 calls version 59.0.
    assert sf.sf_version == "59.0"
    assert sf.Contact.upsert(f"{external_id}/{key}", {"Title": "Updated"}) == 200
    got = sf.Contact.get_by_custom_id(external_id, key)
    assert got["LastName"] == "Upsert" + key and got["Title"] == "Updated"


# --- sObject Collections (sf.restful) -----------------------------------------


def test_collections_create_retrieve_update_upsert_delete(sf, external_id):
    t = tag()
    records = [{"attributes": {"type": "Contact"}, "LastName": f"Coll{t}", "FirstName": f"N{i}",
                "Email": f"c{i}.{t}@example.org"} for i in range(5)]
    records.append({"attributes": {"type": "Contact"}, "FirstName": "missing last name"})
    res = sf.restful("composite/sobjects", method="POST", json={"allOrNone": False, "records": records})
    assert [r["success"] for r in res] == [True] * 5 + [False]
    assert res[5]["errors"][0]["statusCode"] == "REQUIRED_FIELD_MISSING"
    ids = [r["id"] for r in res[:5]]

    got = sf.restful("composite/sobjects/Contact", method="GET",
                     params={"ids": ",".join(ids), "fields": "Id,FirstName,Email"})
    assert [g["Id"] for g in got] == ids
    assert got[2]["FirstName"] == "N2"

    upd = [{"attributes": {"type": "Contact"}, "id": i, "Title": "Collected"} for i in ids]
    res = sf.restful("composite/sobjects", method="PATCH", json={"allOrNone": True, "records": upd})
    assert all(r["success"] for r in res)
    assert count(sf, f"SELECT COUNT() FROM Contact WHERE Title = 'Collected' AND LastName = 'Coll{t}'") == 5

    ups = [{"attributes": {"type": "Contact"}, external_id: f"{t}-{i}", "LastName": f"Ups{t}"} for i in range(3)]
    res = sf.restful(f"composite/sobjects/Contact/{external_id}", method="PATCH",
                     json={"allOrNone": False, "records": ups})
    assert [r["created"] for r in res] == [True, True, True]
    res = sf.restful(f"composite/sobjects/Contact/{external_id}", method="PATCH",
                     json={"allOrNone": False, "records": ups})
    assert [r["created"] for r in res] == [False, False, False]

    res = sf.restful("composite/sobjects", method="DELETE", params={"ids": ",".join(ids), "allOrNone": "false"})
    assert [r["id"] for r in res] == ids and all(r["success"] for r in res)
    assert count(sf, f"SELECT COUNT() FROM Contact WHERE LastName = 'Coll{t}'") == 0


def test_collections_all_or_none_rolls_back(sf):
    t = tag()
    records = [{"attributes": {"type": "Lead"}, "LastName": f"Aon{t}", "Company": "Acme"},
               {"attributes": {"type": "Lead"}, "LastName": f"Aon{t}"}]  # Company is required on Lead
    res = sf.restful("composite/sobjects", method="POST", json={"allOrNone": True, "records": records})
    assert [r["success"] for r in res] == [False, False]
    assert res[0]["errors"][0]["statusCode"] == "ALL_OR_NONE_OPERATION_ROLLED_BACK"
    assert count(sf, f"SELECT COUNT() FROM Lead WHERE LastName = 'Aon{t}'") == 0


# --- Bulk API 2.0 (sf.bulk2) --------------------------------------------------


# Bulk jobs poll with `wait` seconds between checks (default 5, meant for real
# jobs); the simulator finishes a job within two polls.
WAIT = 0.1


def read_csv(text):
    return list(csv.DictReader(io.StringIO(text)))


def test_bulk2_insert_query_update_upsert_delete(sf, external_id, tmp_path):
    t = tag()
    rows = [{"LastName": f"Bulk{t}", "FirstName": f"B{i}", "Email": f"b{i}.{t}@example.org",
             external_id: f"bulk-{t}-{i}"} for i in range(250)]
    res = sf.bulk2.Contact.insert(records=rows, wait=WAIT)
    assert sum(r["numberRecordsProcessed"] for r in res) == 250
    assert sum(r["numberRecordsFailed"] for r in res) == 0
    ok = read_csv(sf.bulk2.Contact.get_successful_records(res[0]["job_id"]))
    assert len(ok) == 250 and all(r["sf__Created"] == "true" for r in ok)

    chunks = list(sf.bulk2.Contact.query(f"SELECT Id, FirstName, Email FROM Contact WHERE LastName = 'Bulk{t}'",
                                         max_records=100, wait=WAIT))
    got = [r for chunk in chunks for r in read_csv(chunk)]
    assert len(chunks) == 3 and len(got) == 250
    ids = [r["Id"] for r in got]

    res = sf.bulk2.Contact.update(records=[{"Id": i, "Title": "Bulked"} for i in ids], wait=WAIT)
    assert sum(r["numberRecordsProcessed"] for r in res) == 250

    ups = [{external_id: f"bulk-{t}-{i}", "Title": "Upserted", "LastName": f"Bulk{t}"} for i in range(245, 255)]
    res = sf.bulk2.Contact.upsert(records=ups, external_id_field=external_id, wait=WAIT)
    assert sum(r["numberRecordsProcessed"] for r in res) == 10
    ok = read_csv(sf.bulk2.Contact.get_successful_records(res[0]["job_id"]))
    assert sorted(r["sf__Created"] for r in ok) == ["false"] * 5 + ["true"] * 5
    assert count(sf, f"SELECT COUNT() FROM Contact WHERE LastName = 'Bulk{t}'") == 255
    assert count(sf, f"SELECT COUNT() FROM Contact WHERE LastName = 'Bulk{t}' AND Title = 'Upserted'") == 10

    bad = [{"FirstName": "no last name"}]
    res = sf.bulk2.Contact.insert(records=bad, wait=WAIT)
    assert res[0]["numberRecordsFailed"] == 1
    failed = read_csv(sf.bulk2.Contact.get_failed_records(res[0]["job_id"]))
    assert "REQUIRED_FIELD_MISSING" in failed[0]["sf__Error"]

    path = tmp_path / "delete.csv"
    path.write_text("Id\n" + "\n".join(ids) + "\n")
    res = sf.bulk2.Contact.delete(str(path), wait=WAIT)
    assert sum(r["numberRecordsProcessed"] for r in res) == 250
    assert count(sf, f"SELECT COUNT() FROM Contact WHERE LastName = 'Bulk{t}'") == 5
    deleted = [r for chunk in sf.bulk2.Contact.query_all(
        f"SELECT Id, IsDeleted FROM Contact WHERE LastName = 'Bulk{t}'", wait=WAIT) for r in read_csv(chunk)]
    assert len(deleted) == 255 and sum(r["IsDeleted"] == "true" for r in deleted) == 250


def test_bulk2_download(sf, tmp_path):
    total = count(sf, "SELECT COUNT() FROM Account")
    res = sf.bulk2.Account.download("SELECT Id, Name FROM Account", path=str(tmp_path), max_records=100, wait=WAIT)
    assert sum(r["number_of_records"] for r in res) == total
    rows = [r for info in res for r in read_csv(open(info["file"], encoding="utf-8").read())]
    assert len(rows) == total
