package salesforce

import (
	"encoding/xml"
	"html"
	"io"
	"net/http"
	"strings"
)

// soapLogin is the body of a partner SOAP API login() call.
type soapLogin struct {
	Username string `xml:"Body>login>username"`
	Password string `xml:"Body>login>password"`
}

const soapFault = `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope ` +
	`xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:sf="urn:fault.partner.soap.sforce.com" ` +
	`xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><soapenv:Fault>` +
	`<faultcode>sf:INVALID_LOGIN</faultcode><faultstring>INVALID_LOGIN: Invalid username, password, security token; or user locked out.</faultstring>` +
	`<detail><sf:LoginFault xsi:type="sf:LoginFault"><sf:exceptionCode>INVALID_LOGIN</sf:exceptionCode>` +
	`<sf:exceptionMessage>Invalid username, password, security token; or user locked out.</sf:exceptionMessage>` +
	`</sf:LoginFault></detail></soapenv:Fault></soapenv:Body></soapenv:Envelope>`

// handleSOAPLogin serves the partner SOAP API login() call at
// /services/Soap/u/{version}, which older clients use to get a session id.
// The password may carry the security token appended; the simulator has
// none, so the password must match exactly.
func (s *Server) handleSOAPLogin(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		methodNotAllowed(w, r, "POST")
		return
	}
	version := strings.Trim(strings.TrimPrefix(r.URL.Path, "/services/Soap/u/"), "/")
	raw, err := io.ReadAll(r.Body)
	var req soapLogin
	if err == nil {
		err = xml.Unmarshal(raw, &req)
	}
	want, known := s.opts.Users[req.Username]
	if err != nil || !known || !secureEqual(req.Password, want) {
		w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = io.WriteString(w, soapFault)
		return
	}
	token := s.startSession("user:" + req.Username)
	base := instanceURL(r)
	esc := html.EscapeString
	out := `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" ` +
		`xmlns="urn:partner.soap.sforce.com" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body>` +
		`<loginResponse><result><metadataServerUrl>` + esc(base+"/services/Soap/m/"+version+"/"+orgID[:15]) + `</metadataServerUrl>` +
		`<passwordExpired>false</passwordExpired><sandbox>false</sandbox>` +
		`<serverUrl>` + esc(base+"/services/Soap/u/"+version+"/"+orgID[:15]) + `</serverUrl>` +
		`<sessionId>` + esc(token) + `</sessionId><userId>` + userID + `</userId><userInfo>` +
		`<organizationId>` + orgID + `</organizationId><userEmail>` + esc(req.Username) + `</userEmail>` +
		`<userFullName>Simulated User</userFullName><userId>` + userID + `</userId><userName>` + esc(req.Username) + `</userName>` +
		`</userInfo></result></loginResponse></soapenv:Body></soapenv:Envelope>`
	w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
	w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(w, out)
}
