package hubspot

import (
	"errors"
	"net/http/httptest"
	"net/url"
	"testing"

	gohubspot "github.com/belong-inc/go-hubspot"
)

// TestThirdPartyClient drives the simulator with github.com/belong-inc/go-hubspot,
// used as its README shows, with only the base URL pointed at the simulator.
func TestThirdPartyClient(t *testing.T) {
	ts := httptest.NewServer(New(Options{}))
	defer ts.Close()
	base, _ := url.Parse(ts.URL)
	client, err := gohubspot.NewClient(gohubspot.SetPrivateAppToken("test-token"), gohubspot.WithBaseURL(base))
	if err != nil {
		t.Fatal(err)
	}
	str := func(p *gohubspot.HsStr) string {
		if p == nil {
			return "<nil>"
		}
		return p.String()
	}

	res, err := client.CRM.Contact.Create(&gohubspot.Contact{Email: gohubspot.NewString("ann@acme.com"),
		FirstName: gohubspot.NewString("Ann"), LastName: gohubspot.NewString("Lee"), City: gohubspot.NewString("Lyon")})
	if err != nil {
		t.Fatal(err)
	}
	contactID := res.ID
	if created := res.Properties.(*gohubspot.Contact); contactID == "" || str(created.Email) != "ann@acme.com" || res.CreatedAt == nil {
		t.Fatalf("create = %+v", res)
	}
	if _, err := client.CRM.Contact.Update(contactID, &gohubspot.Contact{City: gohubspot.NewString("Oslo")}); err != nil {
		t.Fatal(err)
	}

	company, err := client.CRM.Company.Create(&gohubspot.Company{Name: gohubspot.NewString("Acme"), Domain: gohubspot.NewString("acme.com")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.CRM.Company.Update(company.ID, &gohubspot.Company{City: gohubspot.NewString("Paris")}); err != nil {
		t.Fatal(err)
	}
	if _, err := client.CRM.Contact.AssociateAnotherObj(contactID, &gohubspot.AssociationConfig{
		ToObject: gohubspot.ObjectTypeCompany, ToObjectID: company.ID, Type: gohubspot.AssociationTypeContactToCompany}); err != nil {
		t.Fatal(err)
	}

	got, err := client.CRM.Contact.Get(contactID, &gohubspot.Contact{}, &gohubspot.RequestQueryOption{Associations: []string{"companies"}})
	if err != nil {
		t.Fatal(err)
	}
	c := got.Properties.(*gohubspot.Contact)
	if str(c.FirstName) != "Ann" || str(c.City) != "Oslo" || str(c.HsObjectID) != contactID || c.LastModifiedDate == nil ||
		got.Associations == nil || len(got.Associations.Companies.Results) != 1 || got.Associations.Companies.Results[0].ID != company.ID {
		t.Fatalf("get contact = %+v %+v", got, c)
	}
	gotCompany, err := client.CRM.Company.Get(company.ID, &gohubspot.Company{}, nil)
	if err != nil || str(gotCompany.Properties.(*gohubspot.Company).City) != "Paris" {
		t.Fatalf("get company = %+v, %v", gotCompany, err)
	}

	deal, err := client.CRM.Deal.Create(&gohubspot.Deal{DealName: gohubspot.NewString("Big"), Amount: gohubspot.NewString("1200")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.CRM.Deal.Update(deal.ID, &gohubspot.Deal{Amount: gohubspot.NewString("1500")}); err != nil {
		t.Fatal(err)
	}
	gotDeal, err := client.CRM.Deal.Get(deal.ID, &gohubspot.Deal{}, nil)
	if err != nil || str(gotDeal.Properties.(*gohubspot.Deal).Amount) != "1500" {
		t.Fatalf("get deal = %+v, %v", gotDeal, err)
	}

	props, err := client.CRM.Properties.List("contacts")
	if err != nil || len(props.Results) == 0 {
		t.Fatalf("properties = %+v, %v", props, err)
	}
	email, err := client.CRM.Properties.Get("contacts", "email")
	if err != nil || email.HasUniqueValue == nil || !bool(*email.HasUniqueValue) {
		t.Fatalf("email property = %+v, %v", email, err)
	}
	if _, err := client.CRM.Properties.Create("contacts", &gohubspot.CrmProperty{Name: gohubspot.NewString("shoe_size"),
		Label: gohubspot.NewString("Shoe size"), Type: gohubspot.NewString("number"), FieldType: gohubspot.NewString("number"),
		GroupName: gohubspot.NewString("contactinformation")}); err != nil {
		t.Fatal(err)
	}

	if err := client.CRM.Contact.Delete(contactID); err != nil {
		t.Fatal(err)
	}
	_, err = client.CRM.Contact.Get(contactID, &gohubspot.Contact{}, nil)
	var apiErr *gohubspot.APIError
	if !errors.As(err, &apiErr) || apiErr.HTTPStatusCode != 404 || apiErr.Category != "OBJECT_NOT_FOUND" || apiErr.CorrelationID == "" {
		t.Fatalf("get archived contact: %v", err)
	}
	bad, err := gohubspot.NewClient(gohubspot.SetPrivateAppToken("wrong"), gohubspot.WithBaseURL(base))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bad.CRM.Contact.Get("1", &gohubspot.Contact{}, nil); !errors.As(err, &apiErr) || apiErr.HTTPStatusCode != 401 ||
		apiErr.Category != "INVALID_AUTHENTICATION" {
		t.Fatalf("wrong token: %v", err)
	}
}
