-- depends: raw_salesforce_contact, raw_salesforce_lead, raw_salesforce_account, raw_salesforce_opportunity
-- test: unique(system, object, record_id)
-- Salesforce records crmhub deleted softly (Crmhub_Status__c = 'deleted',
-- the field_map row of role status): they count as deleted, get no writes
-- and never cause a counterpart to be created.
SELECT 'salesforce' AS system, 'Contact' AS object, _id AS record_id FROM raw_salesforce_contact WHERE Crmhub_Status__c = 'deleted'
UNION ALL SELECT 'salesforce', 'Lead', _id FROM raw_salesforce_lead WHERE Crmhub_Status__c = 'deleted'
UNION ALL SELECT 'salesforce', 'Account', _id FROM raw_salesforce_account WHERE Crmhub_Status__c = 'deleted'
UNION ALL SELECT 'salesforce', 'Opportunity', _id FROM raw_salesforce_opportunity WHERE Crmhub_Status__c = 'deleted'
