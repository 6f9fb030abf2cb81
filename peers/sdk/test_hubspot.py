"""HubSpot's own Python client (hubspot-api-client) against the HubSpot
simulator, called as its README and HubSpot's API reference show: objects
basic API (get_page with paging, get_all, get_by_id, create, update,
archive), search, batch read/create/update/upsert/archive, properties
(get_all, create) and associations v4 (basic and batch)."""
import uuid

import hubspot
import pytest
from hubspot.crm.associations.v4 import (AssociationSpec, BatchInputPublicAssociationMultiArchive,
                                         BatchInputPublicAssociationMultiPost,
                                         BatchInputPublicDefaultAssociationMultiPost,
                                         BatchInputPublicFetchAssociationsBatchRequest, PublicAssociationMultiArchive,
                                         PublicAssociationMultiPost, PublicDefaultAssociationMultiPost,
                                         PublicFetchAssociationsBatchRequest, PublicObjectId)
from hubspot.crm.companies import SimplePublicObjectInputForCreate as CompanyCreate
from hubspot.crm.contacts import (ApiException, BatchInputSimplePublicObjectBatchInput,
                                  BatchInputSimplePublicObjectBatchInputForCreate,
                                  BatchInputSimplePublicObjectBatchInputUpsert, BatchInputSimplePublicObjectId,
                                  BatchReadInputSimplePublicObjectId, Filter, FilterGroup, PublicObjectSearchRequest,
                                  SimplePublicObjectBatchInput, SimplePublicObjectBatchInputForCreate,
                                  SimplePublicObjectBatchInputUpsert, SimplePublicObjectId, SimplePublicObjectInput,
                                  SimplePublicObjectInputForCreate)
from hubspot.crm.properties import PropertyCreate


def tag():
    return uuid.uuid4().hex[:10]


def new_contacts(client, n, **extra):
    t = tag()
    inputs = [SimplePublicObjectBatchInputForCreate(properties={
        "email": f"sdk{i}.{t}@example.org", "firstname": f"Sdk{i}", "lastname": f"Test{t}", **extra})
        for i in range(n)]
    res = client.crm.contacts.batch_api.create(
        batch_input_simple_public_object_batch_input_for_create=BatchInputSimplePublicObjectBatchInputForCreate(
            inputs=inputs))
    return t, sorted(res.results, key=lambda r: r.properties["email"])


def search_lastname(client, lastname, **kw):
    req = PublicObjectSearchRequest(filter_groups=[FilterGroup(filters=[
        Filter(property_name="lastname", operator="EQ", value=lastname)])], **kw)
    return client.crm.contacts.search_api.do_search(public_object_search_request=req)


# --- basic API ----------------------------------------------------------------


def test_get_page_paging_matches_get_all(hubspot_client):
    api = hubspot_client.crm.contacts.basic_api
    ids, after, pages = [], None, 0
    while True:
        page = api.get_page(limit=100, after=after, properties=["email", "lastname"], archived=False)
        ids += [r.id for r in page.results]
        pages += 1
        assert all(set(r.properties) >= {"email", "lastname", "hs_object_id"} for r in page.results)
        if page.paging is None or page.paging.next is None:
            break
        after = page.paging.next.after
    assert pages > 3, "the Go test seeds more than 300 contacts"
    assert len(ids) == len(set(ids))
    everything = hubspot_client.crm.contacts.get_all(properties=["email"])
    assert sorted(r.id for r in everything) == sorted(ids)


def test_get_page_with_associations(hubspot_client):
    page = hubspot_client.crm.contacts.basic_api.get_page(limit=100, associations=["companies"])
    linked = [r for r in page.results if r.associations and "companies" in r.associations]
    assert linked, "generated contacts carry a company"
    assoc = linked[0].associations["companies"].results[0]
    assert assoc.id and assoc.type


def test_create_get_update_archive(hubspot_client):
    api = hubspot_client.crm.contacts.basic_api
    t = tag()
    created = api.create(simple_public_object_input_for_create=SimplePublicObjectInputForCreate(
        properties={"email": f"one.{t}@example.org", "firstname": "One", "lastname": "Basic" + t}))
    assert created.id and created.created_at and created.properties["email"] == f"one.{t}@example.org"
    got = api.get_by_id(created.id, properties=["email", "firstname", "lastname"])
    assert got.properties["lastname"] == "Basic" + t
    by_email = api.get_by_id(f"one.{t}@example.org", id_property="email")
    assert by_email.id == created.id
    updated = api.update(created.id, simple_public_object_input=SimplePublicObjectInput(
        properties={"jobtitle": "Engineer"}))
    assert updated.properties["jobtitle"] == "Engineer"
    assert updated.updated_at >= created.updated_at
    api.archive(created.id)
    with pytest.raises(ApiException) as err:
        api.get_by_id(created.id)
    assert err.value.status == 404
    archived, after = [], None
    while True:  # archived records are listed with archived=true
        page = api.get_page(limit=100, after=after, archived=True)
        archived += [r for r in page.results if r.id == created.id]
        if page.paging is None or page.paging.next is None:
            break
        after = page.paging.next.after
    assert [r.archived for r in archived] == [True]


def test_errors_are_api_exceptions(hubspot_client):
    with pytest.raises(ApiException) as err:
        hubspot_client.crm.contacts.basic_api.get_by_id("999999999999")
    assert err.value.status == 404
    with pytest.raises(ApiException) as err:
        hubspot_client.crm.contacts.basic_api.create(simple_public_object_input_for_create=
                                                     SimplePublicObjectInputForCreate(properties={"email": "x"}))
    assert err.value.status == 400


def test_bad_token_is_401(hubspot_client):
    bad = hubspot.Client.create(access_token="wrong", host=hubspot_client.config["host"])
    with pytest.raises(ApiException) as err:
        bad.crm.contacts.basic_api.get_page(limit=1)
    assert err.value.status == 401


# --- search -------------------------------------------------------------------


def test_search_filters_sorts_paging(hubspot_client):
    t, created = new_contacts(hubspot_client, 25)
    api = hubspot_client.crm.contacts.search_api
    seen, after = [], None
    while True:
        req = PublicObjectSearchRequest(
            filter_groups=[FilterGroup(filters=[
                Filter(property_name="lastname", operator="EQ", value=f"Test{t}"),
                Filter(property_name="email", operator="CONTAINS_TOKEN", value="*@example.org")])],
            sorts=[{"propertyName": "firstname", "direction": "DESCENDING"}],
            properties=["firstname", "email"], limit=10, after=after)
        page = api.do_search(public_object_search_request=req)
        assert page.total == 25
        seen += [r.properties["firstname"] for r in page.results]
        if page.paging is None or page.paging.next is None:
            break
        after = page.paging.next.after
    assert seen == sorted([f"Sdk{i}" for i in range(25)], reverse=True)


def test_search_filter_groups_are_or(hubspot_client):
    t, created = new_contacts(hubspot_client, 3)
    emails = [c.properties["email"] for c in created]
    req = PublicObjectSearchRequest(filter_groups=[
        FilterGroup(filters=[Filter(property_name="email", operator="EQ", value=emails[0])]),
        FilterGroup(filters=[Filter(property_name="email", operator="IN", values=emails[1:])]),
    ], properties=["email"], sorts=["email"])
    page = hubspot_client.crm.contacts.search_api.do_search(public_object_search_request=req)
    assert [r.properties["email"] for r in page.results] == sorted(emails)
    req = PublicObjectSearchRequest(filter_groups=[FilterGroup(filters=[
        Filter(property_name="lastname", operator="EQ", value=f"Test{t}"),
        Filter(property_name="jobtitle", operator="NOT_HAS_PROPERTY")])])
    assert hubspot_client.crm.contacts.search_api.do_search(public_object_search_request=req).total == 3


def test_search_companies_by_query(hubspot_client):
    page = hubspot_client.crm.companies.basic_api.get_page(limit=1, properties=["name"])
    name = page.results[0].properties["name"]
    word = name.split()[0]
    from hubspot.crm.companies import PublicObjectSearchRequest as CompanySearch
    res = hubspot_client.crm.companies.search_api.do_search(
        public_object_search_request=CompanySearch(query=word, properties=["name"], limit=100))
    assert res.total >= 1
    assert any(r.id == page.results[0].id for r in res.results) or res.total > 100


# --- batch --------------------------------------------------------------------


def test_batch_create_read_update_upsert_archive(hubspot_client):
    batch = hubspot_client.crm.contacts.batch_api
    t, created = new_contacts(hubspot_client, 5)
    ids = [c.id for c in created]

    read = batch.read(batch_read_input_simple_public_object_id=BatchReadInputSimplePublicObjectId(
        properties=["email", "firstname"], inputs=[SimplePublicObjectId(id=i) for i in ids]))
    assert read.status == "COMPLETE"
    assert sorted(r.id for r in read.results) == sorted(ids)

    by_email = batch.read(batch_read_input_simple_public_object_id=BatchReadInputSimplePublicObjectId(
        properties=["email"], id_property="email",
        inputs=[SimplePublicObjectId(id=c.properties["email"]) for c in created]))
    assert sorted(r.id for r in by_email.results) == sorted(ids)

    upd = batch.update(batch_input_simple_public_object_batch_input=BatchInputSimplePublicObjectBatchInput(
        inputs=[SimplePublicObjectBatchInput(id=i, properties={"jobtitle": "Batched"}) for i in ids]))
    assert all(r.properties["jobtitle"] == "Batched" for r in upd.results)

    emails = [c.properties["email"] for c in created[:2]] + [f"new.{t}@example.org"]
    ups = batch.upsert(batch_input_simple_public_object_batch_input_upsert=BatchInputSimplePublicObjectBatchInputUpsert(
        inputs=[SimplePublicObjectBatchInputUpsert(id=e, id_property="email",
                                                   properties={"lastname": f"Test{t}", "jobtitle": "Upserted"})
                for e in emails]))
    assert sorted(r.new for r in ups.results) == [False, False, True]
    assert search_lastname(hubspot_client, f"Test{t}").total == 6

    batch.archive(batch_input_simple_public_object_id=BatchInputSimplePublicObjectId(
        inputs=[SimplePublicObjectId(id=i) for i in ids]))
    assert search_lastname(hubspot_client, f"Test{t}").total == 1


def test_batch_read_reports_missing_ids(hubspot_client):
    t, created = new_contacts(hubspot_client, 1)
    res = hubspot_client.crm.contacts.batch_api.read(
        batch_read_input_simple_public_object_id=BatchReadInputSimplePublicObjectId(
            properties=["email"], inputs=[SimplePublicObjectId(id=created[0].id), SimplePublicObjectId(id="999999999")]))
    assert [r.id for r in res.results] == [created[0].id]
    assert res.num_errors == 1 and res.errors[0].category == "OBJECT_NOT_FOUND"


# --- properties ---------------------------------------------------------------


def test_properties_get_all_and_create(hubspot_client):
    core = hubspot_client.crm.properties.core_api
    names = {p.name for p in core.get_all(object_type="contacts").results}
    assert {"email", "firstname", "lastname", "phone", "hs_object_id", "lastmodifieddate"} <= names
    name = "crmhub_sdk_" + tag()
    prop = core.create(object_type="contacts", property_create=PropertyCreate(
        name=name, label="crmhub SDK test", type="string", field_type="text", group_name="contactinformation",
        has_unique_value=False))
    assert prop.name == name and prop.type == "string" and prop.field_type == "text"
    assert core.get_by_name(object_type="contacts", property_name=name).label == "crmhub SDK test"
    assert name in {p.name for p in core.get_all(object_type="contacts").results}

    t, created = new_contacts(hubspot_client, 1, **{name: "custom value"})
    got = hubspot_client.crm.contacts.basic_api.get_by_id(created[0].id, properties=[name])
    assert got.properties[name] == "custom value"

    with pytest.raises(hubspot.crm.properties.ApiException) as err:
        core.create(object_type="contacts", property_create=PropertyCreate(
            name=name, label="again", type="string", field_type="text", group_name="contactinformation"))
    assert err.value.status == 409


# --- associations v4 ----------------------------------------------------------


@pytest.fixture()
def contact_and_companies(hubspot_client):
    _, created = new_contacts(hubspot_client, 1)
    t = tag()
    companies = [hubspot_client.crm.companies.basic_api.create(
        simple_public_object_input_for_create=CompanyCreate(properties={"name": f"Assoc {t} {i}",
                                                                          "domain": f"a{i}-{t}.example.org"}))
        for i in range(3)]
    return created[0].id, [c.id for c in companies]


def test_associations_v4_basic(hubspot_client, contact_and_companies):
    contact, companies = contact_and_companies
    v4 = hubspot_client.crm.associations.v4.basic_api
    res = v4.create_default(from_object_type="contacts", from_object_id=contact, to_object_type="companies",
                            to_object_id=companies[0])
    pairs = {(r._from.id, r.to.id, r.association_spec.association_type_id) for r in res.results}
    assert (contact, companies[0], 279) in pairs and (companies[0], contact, 280) in pairs
    res = v4.create(object_type="contacts", object_id=contact, to_object_type="companies",
                    to_object_id=companies[1], association_spec=[
                        AssociationSpec(association_category="HUBSPOT_DEFINED", association_type_id=1)])
    assert str(res.to_object_id) == companies[1] and res.labels == []
    page = v4.get_page(object_type="contacts", object_id=contact, to_object_type="companies", limit=500)
    got = {str(r.to_object_id): sorted(t.type_id for t in r.association_types) for r in page.results}
    assert set(got) == {companies[0], companies[1]}
    assert 279 in got[companies[0]] and 1 in got[companies[1]]
    # the reverse direction is there too, with the reverse type (2: primary)
    back = v4.get_page(object_type="companies", object_id=companies[1], to_object_type="contacts")
    assert [str(r.to_object_id) for r in back.results] == [contact]
    assert 2 in [t.type_id for t in back.results[0].association_types]
    v4.archive(object_type="contacts", object_id=contact, to_object_type="companies", to_object_id=companies[0])
    page = v4.get_page(object_type="contacts", object_id=contact, to_object_type="companies")
    assert [str(r.to_object_id) for r in page.results] == [companies[1]]


def test_associations_v4_batch(hubspot_client, contact_and_companies):
    contact, companies = contact_and_companies
    batch = hubspot_client.crm.associations.v4.batch_api
    res = batch.create(from_object_type="contacts", to_object_type="companies",
                       batch_input_public_association_multi_post=BatchInputPublicAssociationMultiPost(inputs=[
                           PublicAssociationMultiPost(_from=PublicObjectId(id=contact), to=PublicObjectId(id=c),
                                                      types=[AssociationSpec(association_category="HUBSPOT_DEFINED",
                                                                             association_type_id=279)])
                           for c in companies[:2]]))
    assert res.status == "COMPLETE" and len(res.results) == 2
    res = batch.create_default(from_object_type="contacts", to_object_type="companies",
                               batch_input_public_default_association_multi_post=
                               BatchInputPublicDefaultAssociationMultiPost(inputs=[
                                   PublicDefaultAssociationMultiPost(_from=PublicObjectId(id=contact),
                                                                     to=PublicObjectId(id=companies[2]))]))
    assert res.status == "COMPLETE" and len(res.results) >= 1
    read = batch.get_page(from_object_type="contacts", to_object_type="companies",
                          batch_input_public_fetch_associations_batch_request=
                          BatchInputPublicFetchAssociationsBatchRequest(inputs=[
                              PublicFetchAssociationsBatchRequest(id=contact)]))
    assert read.results[0]._from.id == contact
    assert sorted(str(t.to_object_id) for t in read.results[0].to) == sorted(companies)
    batch.archive(from_object_type="contacts", to_object_type="companies",
                  batch_input_public_association_multi_archive=BatchInputPublicAssociationMultiArchive(inputs=[
                      PublicAssociationMultiArchive(_from=PublicObjectId(id=contact),
                                                    to=[PublicObjectId(id=c) for c in companies[:2]])]))
    read = batch.get_page(from_object_type="contacts", to_object_type="companies",
                          batch_input_public_fetch_associations_batch_request=
                          BatchInputPublicFetchAssociationsBatchRequest(inputs=[
                              PublicFetchAssociationsBatchRequest(id=contact)]))
    assert [str(t.to_object_id) for t in read.results[0].to] == [companies[2]]
