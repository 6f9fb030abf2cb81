package gen

// Built-in word lists. Everything here is read-only after package
// initialisation; derived tables are computed once by the var initialisers.

// firstNameGroups lists a formal first name followed by its usual nicknames
// and short forms; a copy of a person may carry any of them.
var firstNameGroups = [][]string{
	{"William", "Bill", "Will", "Billy", "Liam"},
	{"Robert", "Bob", "Rob", "Bobby", "Robbie"},
	{"Elizabeth", "Liz", "Beth", "Eliza", "Betty", "Lizzie"},
	{"Katherine", "Kate", "Kathy", "Katie", "Kat"},
	{"Catherine", "Cathy", "Cate", "Cat"},
	{"James", "Jim", "Jimmy", "Jamie"},
	{"John", "Jack", "Johnny"},
	{"Michael", "Mike", "Mikey", "Mick"},
	{"Richard", "Rick", "Rich", "Richie", "Dick"},
	{"Thomas", "Tom", "Tommy"},
	{"Christopher", "Chris", "Topher"},
	{"Daniel", "Dan", "Danny"},
	{"Matthew", "Matt", "Matty"},
	{"Anthony", "Tony"},
	{"Joseph", "Joe", "Joey"},
	{"Charles", "Charlie", "Chuck"},
	{"Edward", "Ed", "Eddie", "Ted", "Ned"},
	{"Benjamin", "Ben", "Benny"},
	{"Samuel", "Sam", "Sammy"},
	{"Alexander", "Alex", "Sasha", "Xander"},
	{"Nicholas", "Nick", "Nicky"},
	{"Jonathan", "Jon", "Jonny"},
	{"Andrew", "Andy", "Drew"},
	{"Steven", "Steve", "Stevie"},
	{"Stephen", "Steve"},
	{"Timothy", "Tim", "Timmy"},
	{"Patrick", "Pat", "Paddy"},
	{"Gregory", "Greg"},
	{"Kenneth", "Ken", "Kenny"},
	{"Ronald", "Ron", "Ronnie"},
	{"Donald", "Don", "Donnie"},
	{"Raymond", "Ray"},
	{"Lawrence", "Larry"},
	{"Jeffrey", "Jeff"},
	{"Peter", "Pete"},
	{"Frederick", "Fred", "Freddie"},
	{"Nathaniel", "Nate", "Nathan"},
	{"Zachary", "Zach", "Zack"},
	{"Joshua", "Josh"},
	{"Jacob", "Jake"},
	{"Gerald", "Gerry", "Jerry"},
	{"Douglas", "Doug"},
	{"Phillip", "Phil"},
	{"Vincent", "Vince", "Vinny"},
	{"Leonard", "Leo", "Len", "Lenny"},
	{"Theodore", "Theo", "Ted", "Teddy"},
	{"Francis", "Frank", "Frankie"},
	{"Albert", "Al", "Bert"},
	{"Walter", "Walt", "Wally"},
	{"Henry", "Hank", "Harry"},
	{"Harold", "Harry", "Hal"},
	{"Eugene", "Gene"},
	{"Maximilian", "Max", "Maxi"},
	{"Sebastian", "Seb", "Basti"},
	{"Johannes", "Hannes", "Jo"},
	{"Friedrich", "Fritz"},
	{"Margaret", "Maggie", "Peggy", "Meg", "Marge"},
	{"Jennifer", "Jen", "Jenny"},
	{"Jessica", "Jess", "Jessie"},
	{"Rebecca", "Becky", "Becca"},
	{"Samantha", "Sam", "Sammie"},
	{"Victoria", "Vicky", "Tori"},
	{"Alexandra", "Alex", "Lexi", "Sandra"},
	{"Patricia", "Pat", "Patty", "Trish"},
	{"Deborah", "Deb", "Debbie"},
	{"Susan", "Sue", "Susie"},
	{"Christine", "Chris", "Chrissy", "Tina"},
	{"Kimberly", "Kim"},
	{"Pamela", "Pam"},
	{"Abigail", "Abby", "Gail"},
	{"Jacqueline", "Jackie"},
	{"Cynthia", "Cindy"},
	{"Dorothy", "Dot", "Dottie"},
	{"Barbara", "Barb", "Babs"},
	{"Judith", "Judy"},
	{"Theresa", "Terry", "Tess"},
	{"Veronica", "Ronnie", "Vera"},
	{"Josephine", "Jo", "Josie"},
	{"Gabrielle", "Gabby", "Gabi"},
	{"Isabella", "Bella", "Izzy"},
	{"Madeline", "Maddie"},
	{"Natalie", "Nat"},
	{"Olivia", "Liv"},
	{"Caroline", "Carrie", "Caro"},
	{"Eleanor", "Ellie", "Nell"},
	{"Penelope", "Penny"},
	{"Stephanie", "Steph"},
	{"Cassandra", "Cassie"},
	{"Melissa", "Mel", "Missy"},
	{"Amanda", "Mandy"},
	{"Danielle", "Dani"},
	{"Nicole", "Nikki"},
	{"Angela", "Angie"},
	{"Sophia", "Sophie"},
	{"Francesca", "Fran", "Frankie"},
	{"Giuseppe", "Beppe", "Peppe"},
	{"Alejandro", "Alex", "Alejo"},
	{"Francisco", "Paco", "Pancho"},
	{"José", "Pepe"},
	{"Manuel", "Manolo", "Manny"},
	{"Guadalupe", "Lupe"},
	{"Ignacio", "Nacho"},
	{"Dolores", "Lola"},
	{"Jesús", "Chuy"},
	{"Eduardo", "Eddie", "Edu"},
	{"Dmitri", "Dima"},
	{"Aleksandr", "Sasha"},
	{"Vladimir", "Vova", "Vlad"},
	{"Ekaterina", "Katya"},
	{"Anastasia", "Nastya"},
	{"Mikhail", "Misha"},
	{"Siobhán", "Shiv"},
	{"Seán", "Sean"},
}

// singleFirstNames have no common nickname.
var singleFirstNames = []string{
	"Aoife", "Ciarán", "Niamh", "Priya", "Arjun", "Rahul", "Ananya", "Wei",
	"Mei", "Jun", "Hiroshi", "Yuki", "Haruto", "Sakura", "Min-jun", "Ji-woo",
	"Seo-yeon", "Fatima", "Mohammed", "Aisha", "Omar", "Layla", "Yusuf",
	"Zainab", "Olusegun", "Chiamaka", "Kwame", "Amara", "Thabo", "Nomvula",
	"Søren", "Björn", "Ingrid", "Astrid", "Lars", "Sven", "Freya", "Zoë",
	"Chloé", "François", "Amélie", "Hélène", "Noël", "Renée", "Jürgen",
	"Jörg", "Günther", "Léa", "Maël", "Joël", "Inês", "João", "Gonçalo",
	"Mónica", "Ángel", "Raúl", "Andrés", "Lucía", "Sofía", "Camila",
	"Valeria", "Mateo", "Santiago", "Diego", "Emma", "Noah", "Ava", "Mia",
	"Ethan", "Mason", "Logan", "Lucas", "Harper", "Evelyn", "Aria", "Grace",
	"Ella", "Scarlett", "Hannah", "Lily", "Aaron", "Adam", "Adrian", "Brian",
	"Brandon", "Caleb", "Carlos", "Connor", "Dylan", "Eric", "Evan", "Gavin",
	"Hunter", "Ian", "Isaac", "Jason", "Jordan", "Justin", "Kevin", "Kyle",
	"Luke", "Marcus", "Mark", "Martin", "Neil", "Oscar", "Owen", "Paul",
	"Ryan", "Scott", "Simon", "Tyler", "Victor", "Wesley", "Amy", "Anna",
	"Claire", "Diana", "Emily", "Erin", "Fiona", "Heather", "Helen", "Holly",
	"Irene", "Julia", "Karen", "Laura", "Linda", "Lisa", "Lucy", "Maria",
	"Megan", "Monica", "Nancy", "Nina", "Rachel", "Rose", "Ruth", "Sarah",
	"Tara", "Wendy", "Yvonne", "Zara", "Tariq", "Hamza", "Ayesha", "Sanjay",
	"Deepika", "Vikram", "Lakshmi", "Ravi", "Xiaoming", "Hui", "Thanh",
	"Linh", "Minh", "Kofi", "Ngozi", "Emeka", "Dalia", "Reza", "Parisa",
	"Darius", "Leila", "Tomasz", "Agnieszka", "Łukasz", "Małgorzata",
	"Krzysztof", "Zoltán", "Dóra", "Ólafur", "Guðrún", "Ștefan", "Ioana",
	"Ahmet", "Elif", "Mehmet", "Zeynep", "Efe", "Kai", "Nils", "Greta",
	"Lena", "Jonas", "Felix", "Clara", "Mathilde", "Hugo", "Louis",
	"Camille", "Manon", "Inès", "Théo", "Arthur", "Jules", "Gabriel",
	"Raphaël", "Océane", "Quentin", "Margaux", "Elena", "Marco", "Luca",
	"Giulia", "Chiara", "Matteo", "Alessandro", "Sara", "Tobias", "Moritz",
	"Svenja", "Anke", "Uwe", "Dieter", "Heike", "Birgit", "Kerstin",
}

// surnames mixes origins, accents, apostrophes, particles and hyphens.
var surnames = []string{
	"Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis",
	"Wilson", "Anderson", "Taylor", "Thomas", "Moore", "Jackson", "Martin",
	"Lee", "Thompson", "White", "Harris", "Clark", "Lewis", "Robinson",
	"Walker", "Young", "Allen", "King", "Wright", "Scott", "Hill", "Green",
	"Adams", "Baker", "Nelson", "Carter", "Mitchell", "Roberts", "Turner",
	"Phillips", "Campbell", "Parker", "Evans", "Edwards", "Collins",
	"Stewart", "Morris", "Murphy", "Cook", "Rogers", "Morgan", "Cooper",
	"Peterson", "Reed", "Bailey", "Bell", "Kelly", "Howard", "Ward", "Cox",
	"Richardson", "Wood", "Watson", "Brooks", "Bennett", "Gray", "James",
	"Hughes", "Price", "Sanders", "Myers", "Long", "Ross", "Foster",
	"Powell", "Jenkins", "Perry", "Russell", "Sullivan", "Fisher",
	"Henderson", "Coleman", "Simmons", "Patterson", "Reynolds", "Hamilton",
	"Graham", "Wallace", "Woods", "Cole", "West", "Owens", "Marshall",
	"Ellis", "Stone", "Hayes", "Gibson", "Bryant", "Hunt", "Knight", "Hart",
	"Black", "Palmer", "Wells", "Dunn", "Lane", "Fox", "Porter", "Shaw",
	"Holmes", "Rice", "Hawkins", "Spencer", "Pierce", "Barnes", "Chapman",
	"Lawrence", "Grant", "Fletcher", "Burke", "Quinn", "Walsh", "Byrne",
	"Doyle", "Kennedy", "Gallagher", "Brennan", "O'Brien", "O'Connor",
	"O'Sullivan", "O'Neill", "D'Angelo", "McCarthy", "MacDonald", "McKenzie",
	"Fitzgerald", "Müller", "Schmidt", "Schneider", "Fischer", "Weber",
	"Meyer", "Wagner", "Becker", "Schulz", "Hoffmann", "Köhler", "Groß",
	"Jäger", "Schäfer", "Krüger", "Weiß", "Böhm", "Dubois", "Lefèvre",
	"Moreau", "Laurent", "Girard", "Rousseau", "Bernard", "Mercier",
	"Lévesque", "Béranger", "Fontaine", "Chevalier", "Garnier", "Faure",
	"García", "Martínez", "Rodríguez", "López", "González", "Hernández",
	"Pérez", "Sánchez", "Ramírez", "Torres", "Flores", "Gómez", "Díaz",
	"Jiménez", "Álvarez", "Muñoz", "Ruiz", "Castillo", "Ortiz", "Morales",
	"Vargas", "Núñez", "van der Berg", "van Dijk", "de Vries", "de Jong",
	"Janssen", "Bakker", "Visser", "Smith-Jones", "García-López",
	"Taylor-Brown", "Ortega-Ruiz", "Lloyd-Webber", "Bowes-Lyon",
	"Müller-Schmidt", "Nguyen", "Tran", "Le", "Pham", "Huynh", "Kim", "Park",
	"Choi", "Jung", "Kang", "Wang", "Li", "Zhang", "Liu", "Chen", "Yang",
	"Huang", "Zhao", "Wu", "Zhou", "Xu", "Sun", "Ma", "Zhu", "Hu", "Lin",
	"Tanaka", "Suzuki", "Takahashi", "Watanabe", "Yamamoto", "Nakamura",
	"Kobayashi", "Sato", "Ito", "Patel", "Shah", "Singh", "Kumar", "Sharma",
	"Gupta", "Reddy", "Iyer", "Rao", "Das", "Chatterjee", "Banerjee",
	"Mehta", "Khan", "Ali", "Hussain", "Ahmed", "Rahman", "Hassan",
	"Ibrahim", "Yılmaz", "Öztürk", "Demir", "Şahin", "Çelik", "Kowalski",
	"Nowak", "Wiśniewski", "Wójcik", "Kowalczyk", "Lewandowski", "Novák",
	"Dvořák", "Horváth", "Nagy", "Tóth", "Papadopoulos", "Georgiou",
	"Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo",
	"Ricci", "Marino", "Greco", "Bruno", "Gallo", "Conti", "De Luca",
	"Costa", "Silva", "Santos", "Ferreira", "Pereira", "Oliveira",
	"Rodrigues", "Carvalho", "Gonçalves", "Sousa", "Andersson", "Johansson",
	"Karlsson", "Nilsson", "Eriksson", "Larsson", "Olsen", "Hansen",
	"Jensen", "Nielsen", "Pedersen", "Kristensen", "Jørgensen", "Sørensen",
	"Virtanen", "Korhonen", "Mäkinen", "Okafor", "Adeyemi", "Okonkwo",
	"Mensah", "Owusu", "Boateng", "Nkosi", "Dlamini", "Abebe", "Haile",
	"Kamau", "Otieno", "Cohen", "Levy", "Friedman", "Katz", "Goldberg",
	"Rosen", "Shapiro", "Schwartz", "Weiss", "St. John", "Ó Briain",
}

// streetNames are combined with a streetType for US and UK addresses.
var streetNames = []string{
	"Main", "Oak", "Maple", "Park", "Washington", "Lake", "Hill", "Market",
	"Mission", "Pine", "Cedar", "Elm", "Church", "High", "Broad", "Center",
	"Spring", "Sunset", "Lincoln", "Jefferson", "Madison", "Franklin",
	"Highland", "Ridge", "River", "Valley", "Forest", "Meadow", "Walnut",
	"Chestnut", "Willow", "Cherry", "Birch", "Union", "Commerce", "Harbor",
	"Bay", "Mill", "College", "University", "Grand", "Prospect", "Jackson",
	"Adams", "Monroe", "Sherman", "Grant", "Kingsley", "Victoria", "Queen",
	"King", "Bridge", "Station", "Green", "Orchard", "Fairview", "Lakeview",
	"Woodland", "Summit", "Industrial", "Technology", "Innovation",
	"Peachtree", "Magnolia", "Cypress", "Sycamore", "Aspen", "Dogwood",
	"Juniper", "Palm", "Ocean", "Colorado", "Mountain", "Canyon", "Desert",
}

// streetTypes: full form first, then abbreviations seen in the wild.
var streetTypes = [][]string{
	{"Street", "St.", "St", "Str."},
	{"Avenue", "Ave.", "Ave", "Av."},
	{"Boulevard", "Blvd.", "Blvd"},
	{"Road", "Rd.", "Rd"},
	{"Drive", "Dr.", "Dr"},
	{"Lane", "Ln.", "Ln"},
	{"Court", "Ct.", "Ct"},
	{"Place", "Pl.", "Pl"},
	{"Way", "Wy"},
	{"Parkway", "Pkwy.", "Pkwy"},
	{"Terrace", "Ter.", "Terr"},
	{"Circle", "Cir.", "Cir"},
}

var directions = [][]string{
	{"North", "N.", "N"}, {"South", "S.", "S"}, {"East", "E.", "E"}, {"West", "W.", "W"},
}

// unitForms render a suite or apartment number: full, short, hash.
var unitForms = [][]string{
	{"Suite ", "Ste ", "Ste. ", "#"},
	{"Apartment ", "Apt ", "Apt. ", "#"},
	{"Floor ", "Fl ", "Fl. "},
}

var germanStreets = []string{
	"Haupt", "Bahnhof", "Schiller", "Goethe", "Garten", "Kirch", "Wiesen",
	"Linden", "Friedrich", "Mozart", "Schul", "Wald", "Ring", "Markt",
	"Bismarck", "Kaiser", "Rosen", "Tal",
}

// germanStreetTypes: full, abbreviated, transliterated.
var germanStreetTypes = [][]string{
	{"straße", "str.", "strasse"},
	{"weg", "weg"},
	{"allee", "allee"},
	{"platz", "pl.", "platz"},
}

var frenchStreets = []string{
	"de la Paix", "de Rivoli", "Victor Hugo", "de la République",
	"Saint-Honoré", "du Faubourg Saint-Antoine", "Jean Jaurès",
	"de la Liberté", "Gambetta", "Pasteur", "des Lilas", "du Général Leclerc",
	"Voltaire", "de Verdun", "Émile Zola",
}

var frenchStreetTypes = [][]string{
	{"rue", "r.", "Rue"},
	{"avenue", "av.", "Avenue"},
	{"boulevard", "bd", "Boulevard"},
	{"place", "pl.", "Place"},
}

const (
	ctryUS = iota
	ctryUK
	ctryDE
	ctryFR
)

// countryNames per country: canonical first, then variants.
var countryNames = [][]string{
	ctryUS: {"United States", "USA", "US", "United States of America", "U.S."},
	ctryUK: {"United Kingdom", "UK", "GB", "Great Britain", "England"},
	ctryDE: {"Germany", "DE", "Deutschland"},
	ctryFR: {"France", "FR", "République française"},
}

// city: canonical name, alternative spellings, state code and name, postal
// prefixes and telephone area codes (national significant part).
type city struct {
	name      string
	alt       []string
	state     string
	stateName string
	postal    []string
	area      []string
	country   int
}

var usCities = []city{
	{"New York", []string{"New York City", "NYC", "new york"}, "NY", "New York", []string{"100", "101", "102"}, []string{"212", "646", "917"}, ctryUS},
	{"Los Angeles", []string{"LA", "L.A."}, "CA", "California", []string{"900", "900"}, []string{"213", "310", "323"}, ctryUS},
	{"Chicago", nil, "IL", "Illinois", []string{"606"}, []string{"312", "773"}, ctryUS},
	{"Houston", nil, "TX", "Texas", []string{"770"}, []string{"713", "832"}, ctryUS},
	{"Phoenix", nil, "AZ", "Arizona", []string{"850"}, []string{"602", "480"}, ctryUS},
	{"Philadelphia", []string{"Phila."}, "PA", "Pennsylvania", []string{"191"}, []string{"215", "267"}, ctryUS},
	{"San Antonio", nil, "TX", "Texas", []string{"782"}, []string{"210"}, ctryUS},
	{"San Diego", nil, "CA", "California", []string{"921"}, []string{"619", "858"}, ctryUS},
	{"Dallas", nil, "TX", "Texas", []string{"752"}, []string{"214", "972"}, ctryUS},
	{"San Jose", []string{"San José"}, "CA", "California", []string{"951"}, []string{"408", "669"}, ctryUS},
	{"Austin", nil, "TX", "Texas", []string{"787"}, []string{"512", "737"}, ctryUS},
	{"Jacksonville", nil, "FL", "Florida", []string{"322"}, []string{"904"}, ctryUS},
	{"San Francisco", []string{"SF", "S.F."}, "CA", "California", []string{"941"}, []string{"415", "628"}, ctryUS},
	{"Columbus", nil, "OH", "Ohio", []string{"432"}, []string{"614"}, ctryUS},
	{"Charlotte", nil, "NC", "North Carolina", []string{"282"}, []string{"704", "980"}, ctryUS},
	{"Indianapolis", nil, "IN", "Indiana", []string{"462"}, []string{"317"}, ctryUS},
	{"Seattle", nil, "WA", "Washington", []string{"981"}, []string{"206"}, ctryUS},
	{"Denver", nil, "CO", "Colorado", []string{"802"}, []string{"303", "720"}, ctryUS},
	{"Washington", []string{"Washington, D.C.", "Washington DC"}, "DC", "District of Columbia", []string{"200"}, []string{"202"}, ctryUS},
	{"Boston", nil, "MA", "Massachusetts", []string{"021"}, []string{"617", "857"}, ctryUS},
	{"Nashville", nil, "TN", "Tennessee", []string{"372"}, []string{"615"}, ctryUS},
	{"Detroit", nil, "MI", "Michigan", []string{"482"}, []string{"313"}, ctryUS},
	{"Portland", nil, "OR", "Oregon", []string{"972"}, []string{"503", "971"}, ctryUS},
	{"Las Vegas", nil, "NV", "Nevada", []string{"891"}, []string{"702"}, ctryUS},
	{"Baltimore", nil, "MD", "Maryland", []string{"212"}, []string{"410", "443"}, ctryUS},
	{"Milwaukee", nil, "WI", "Wisconsin", []string{"532"}, []string{"414"}, ctryUS},
	{"Sacramento", nil, "CA", "California", []string{"958"}, []string{"916"}, ctryUS},
	{"Kansas City", nil, "MO", "Missouri", []string{"641"}, []string{"816"}, ctryUS},
	{"Atlanta", nil, "GA", "Georgia", []string{"303"}, []string{"404", "470", "678"}, ctryUS},
	{"Miami", nil, "FL", "Florida", []string{"331"}, []string{"305", "786"}, ctryUS},
	{"Raleigh", nil, "NC", "North Carolina", []string{"276"}, []string{"919", "984"}, ctryUS},
	{"Minneapolis", nil, "MN", "Minnesota", []string{"554"}, []string{"612"}, ctryUS},
	{"Cleveland", nil, "OH", "Ohio", []string{"441"}, []string{"216"}, ctryUS},
	{"Tampa", nil, "FL", "Florida", []string{"336"}, []string{"813"}, ctryUS},
	{"Pittsburgh", nil, "PA", "Pennsylvania", []string{"152"}, []string{"412"}, ctryUS},
	{"St. Louis", []string{"Saint Louis", "St Louis"}, "MO", "Missouri", []string{"631"}, []string{"314"}, ctryUS},
	{"Orlando", nil, "FL", "Florida", []string{"328"}, []string{"407"}, ctryUS},
	{"Salt Lake City", []string{"SLC"}, "UT", "Utah", []string{"841"}, []string{"801", "385"}, ctryUS},
	{"Palo Alto", nil, "CA", "California", []string{"943"}, []string{"650"}, ctryUS},
	{"Cambridge", nil, "MA", "Massachusetts", []string{"021"}, []string{"617"}, ctryUS},
	{"Boulder", nil, "CO", "Colorado", []string{"803"}, []string{"303", "720"}, ctryUS},
	{"Ann Arbor", nil, "MI", "Michigan", []string{"481"}, []string{"734"}, ctryUS},
	{"Madison", nil, "WI", "Wisconsin", []string{"537"}, []string{"608"}, ctryUS},
	{"Providence", nil, "RI", "Rhode Island", []string{"029"}, []string{"401"}, ctryUS},
	{"Hartford", nil, "CT", "Connecticut", []string{"061"}, []string{"860"}, ctryUS},
	{"Newark", nil, "NJ", "New Jersey", []string{"071"}, []string{"973"}, ctryUS},
	{"Omaha", nil, "NE", "Nebraska", []string{"681"}, []string{"402"}, ctryUS},
	{"Richmond", nil, "VA", "Virginia", []string{"232"}, []string{"804"}, ctryUS},
	{"Honolulu", nil, "HI", "Hawaii", []string{"968"}, []string{"808"}, ctryUS},
	{"Anchorage", nil, "AK", "Alaska", []string{"995"}, []string{"907"}, ctryUS},
	{"New Orleans", []string{"NOLA"}, "LA", "Louisiana", []string{"701"}, []string{"504"}, ctryUS},
	{"Albuquerque", nil, "NM", "New Mexico", []string{"871"}, []string{"505"}, ctryUS},
}

var ukCities = []city{
	{"London", []string{"LONDON", "Greater London"}, "", "Greater London", []string{"EC1A", "SW1A", "W1D", "N1", "E14", "SE1", "WC2N"}, []string{"20"}, ctryUK},
	{"Manchester", nil, "", "Greater Manchester", []string{"M1", "M4", "M15"}, []string{"161"}, ctryUK},
	{"Birmingham", nil, "", "West Midlands", []string{"B1", "B3", "B15"}, []string{"121"}, ctryUK},
	{"Edinburgh", nil, "", "Scotland", []string{"EH1", "EH2", "EH8"}, []string{"131"}, ctryUK},
	{"Bristol", nil, "", "Bristol", []string{"BS1", "BS8"}, []string{"117"}, ctryUK},
	{"Leeds", nil, "", "West Yorkshire", []string{"LS1", "LS2"}, []string{"113"}, ctryUK},
	{"Glasgow", nil, "", "Scotland", []string{"G1", "G2"}, []string{"141"}, ctryUK},
}

var deCities = []city{
	{"Berlin", nil, "BE", "Berlin", []string{"10", "12", "13"}, []string{"30"}, ctryDE},
	{"München", []string{"Munich", "Muenchen"}, "BY", "Bayern", []string{"80", "81"}, []string{"89"}, ctryDE},
	{"Hamburg", nil, "HH", "Hamburg", []string{"20", "22"}, []string{"40"}, ctryDE},
	{"Köln", []string{"Cologne", "Koeln"}, "NW", "Nordrhein-Westfalen", []string{"50", "51"}, []string{"221"}, ctryDE},
	{"Frankfurt am Main", []string{"Frankfurt", "Frankfurt a.M."}, "HE", "Hessen", []string{"60"}, []string{"69"}, ctryDE},
	{"Stuttgart", nil, "BW", "Baden-Württemberg", []string{"70"}, []string{"711"}, ctryDE},
	{"Düsseldorf", []string{"Dusseldorf", "Duesseldorf"}, "NW", "Nordrhein-Westfalen", []string{"40"}, []string{"211"}, ctryDE},
}

var frCities = []city{
	{"Paris", []string{"PARIS"}, "", "Île-de-France", []string{"75"}, []string{"1"}, ctryFR},
	{"Lyon", nil, "", "Auvergne-Rhône-Alpes", []string{"69"}, []string{"4"}, ctryFR},
	{"Marseille", nil, "", "Provence-Alpes-Côte d'Azur", []string{"13"}, []string{"4"}, ctryFR},
	{"Toulouse", nil, "", "Occitanie", []string{"31"}, []string{"5"}, ctryFR},
	{"Bordeaux", nil, "", "Nouvelle-Aquitaine", []string{"33"}, []string{"5"}, ctryFR},
	{"Lille", nil, "", "Hauts-de-France", []string{"59"}, []string{"3"}, ctryFR},
	{"Nantes", nil, "", "Pays de la Loire", []string{"44"}, []string{"2"}, ctryFR},
}

var citiesByCountry = [][]city{ctryUS: usCities, ctryUK: ukCities, ctryDE: deCities, ctryFR: frCities}

// countryCallingCode per country.
var callingCode = []string{ctryUS: "1", ctryUK: "44", ctryDE: "49", ctryFR: "33"}

// jobTitles: canonical first, then the abbreviated forms people type.
var jobTitles = [][]string{
	{"Chief Executive Officer", "CEO"},
	{"Chief Financial Officer", "CFO"},
	{"Chief Technology Officer", "CTO"},
	{"Chief Operating Officer", "COO"},
	{"Chief Marketing Officer", "CMO"},
	{"Chief Information Officer", "CIO"},
	{"Vice President of Sales", "VP Sales", "VP, Sales"},
	{"Vice President of Marketing", "VP Marketing", "VP, Marketing"},
	{"Vice President of Engineering", "VP Engineering", "VP, Engineering"},
	{"Vice President of Operations", "VP Operations"},
	{"Director of Sales", "Sales Director"},
	{"Director of Marketing", "Marketing Director"},
	{"Director of Engineering", "Engineering Director"},
	{"Director of Finance", "Finance Director"},
	{"Director of Procurement", "Procurement Director"},
	{"IT Director", "Director of IT", "Director, IT"},
	{"Head of Operations", "Operations Head"},
	{"Head of Data", "Head of Data & Analytics"},
	{"Head of Customer Success", "Head of CS"},
	{"Sales Manager", "Sales Mgr"},
	{"Senior Sales Manager", "Sr. Sales Manager", "Sr Sales Manager"},
	{"Account Executive", "AE"},
	{"Senior Account Executive", "Sr. Account Executive", "Senior AE"},
	{"Account Manager", "Acct Manager"},
	{"Key Account Manager", "KAM"},
	{"Sales Development Representative", "SDR"},
	{"Business Development Representative", "BDR"},
	{"Marketing Manager", "Marketing Mgr"},
	{"Product Marketing Manager", "PMM"},
	{"Product Manager", "PM"},
	{"Senior Product Manager", "Sr. Product Manager"},
	{"Project Manager", "Project Mgr"},
	{"Program Manager", "Program Mgr"},
	{"Software Engineer", "SWE", "Software Developer"},
	{"Senior Software Engineer", "Sr. Software Engineer", "Senior SWE"},
	{"Staff Engineer", "Staff Software Engineer"},
	{"Engineering Manager", "Eng Manager", "EM"},
	{"Data Scientist"},
	{"Data Engineer"},
	{"Data Analyst", "Analyst"},
	{"Business Analyst", "BA"},
	{"Financial Analyst"},
	{"Controller", "Financial Controller"},
	{"Accountant"},
	{"Office Manager"},
	{"Operations Manager", "Ops Manager"},
	{"Customer Success Manager", "CSM"},
	{"Support Engineer", "Technical Support Engineer"},
	{"HR Manager", "Human Resources Manager"},
	{"Recruiter", "Talent Acquisition Specialist"},
	{"Procurement Specialist", "Buyer"},
	{"Purchasing Manager", "Purchasing Mgr"},
	{"Consultant", "Senior Consultant"},
	{"Partner", "Managing Partner"},
	{"Founder", "Co-Founder", "Founder & CEO"},
	{"Owner", "Owner/Operator"},
	{"President"},
	{"General Manager", "GM"},
	{"Administrative Assistant", "Admin Assistant", "Executive Assistant"},
	{"Architect", "Solutions Architect"},
	{"Security Engineer", "InfoSec Engineer"},
	{"Designer", "UX Designer"},
	{"Teacher"},
	{"Nurse", "RN"},
	{"Physician", "MD"},
	{"Attorney", "Lawyer"},
}

// Company name building blocks.
var companyRoots = []string{
	"Acme", "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Hooli",
	"Vandelay", "Soylent", "Cyberdyne", "Tyrell", "Wonka", "Aperture",
	"Gringotts", "Oscorp", "Massive Dynamic", "Pied Piper", "Dunder Mifflin",
	"Sterling Cooper", "Prestige Worldwide", "Summit", "Pioneer", "Blue",
	"North", "Silver", "Bright", "Apex", "Vertex", "Nova", "Quantum",
	"Evergreen", "Redwood", "Harbor", "Granite", "Cobalt", "Crimson",
	"Golden", "Iron", "Liberty", "Keystone", "Horizon", "Meridian", "Zenith",
	"Pinnacle", "Atlas", "Orion", "Polaris", "Titan", "Falcon", "Eagle",
	"Lighthouse", "Beacon", "Cascade", "Sierra", "Alpine", "Coastal",
	"Prairie", "Frontier", "Heritage", "Legacy", "Sentinel", "Vanguard",
	"Catalyst", "Momentum", "Fusion", "Synergy", "Nimbus", "Stratus",
	"Cirrus", "Aurora", "Solaris", "Lunar", "Stellar", "Nexus", "Vector",
	"Matrix", "Quantum Leap", "Bluebird", "Red Rock", "Blackstone",
	"Whitewater", "Greenfield", "Clearwater", "Stonebridge", "Oakridge",
	"Maplewood", "Pine Valley", "Riverbend", "Lakeside", "Hilltop",
	"Sunrise", "Sunset", "Northwind", "Southport", "Eastgate", "Westbrook",
	"Tri-County", "Metro", "Urban", "Rural", "Continental", "Pacific",
	"Atlantic", "Midwest", "Great Lakes", "Rocky Mountain", "Gulf Coast",
	"Lone Star", "Empire", "Capitol", "Federal", "National", "United",
	"Allied", "Premier", "Elite", "Prime", "First", "Second Street",
	"Blue Ocean", "Deep Blue", "Ember", "Kinetic", "Helix", "Arcadia",
	"Avalon", "Bamboo", "Copper", "Diamond", "Emerald", "Fjord", "Glacier",
	"Indigo", "Jade", "Kestrel", "Lotus", "Magnet", "Onyx", "Pebble",
	"Quartz", "Raven", "Sapphire", "Tundra", "Velvet", "Willow", "Yellowstone",
	"Zephyr", "Brightwave", "Quickstep", "Northstar", "Ironclad", "Skyline",
	"Bluepeak", "Greenleaf", "Truenorth", "Clearpath", "Swiftwater",
	"Hartmann", "Becker", "Lindqvist", "Moreau", "Fontaine", "Okafor",
	"Nakamura", "Rossi", "Kowalski", "Lefèvre", "Müller", "Sánchez",
}

// companyNouns pair a name word with the Salesforce Industry it suggests.
var companyNouns = [][2]string{
	{"Analytics", "Technology"}, {"Systems", "Technology"},
	{"Solutions", "Consulting"}, {"Logistics", "Transportation"},
	{"Labs", "Biotechnology"}, {"Software", "Technology"},
	{"Health", "Healthcare"}, {"Foods", "Food & Beverage"},
	{"Energy", "Energy"}, {"Capital", "Finance"},
	{"Partners", "Consulting"}, {"Manufacturing", "Manufacturing"},
	{"Robotics", "Machinery"}, {"Media", "Media"},
	{"Networks", "Telecommunications"}, {"Dynamics", "Engineering"},
	{"Consulting", "Consulting"}, {"Bio", "Biotechnology"},
	{"Pharma", "Healthcare"}, {"Motors", "Transportation"},
	{"Textiles", "Apparel"}, {"Brewing", "Food & Beverage"},
	{"Design", "Media"}, {"Security", "Technology"},
	{"Cloud", "Technology"}, {"Insurance", "Insurance"},
	{"Bank", "Banking"}, {"Financial", "Finance"},
	{"Construction", "Construction"}, {"Builders", "Construction"},
	{"Engineering", "Engineering"}, {"Chemicals", "Chemicals"},
	{"Electronics", "Electronics"}, {"Telecom", "Telecommunications"},
	{"Shipping", "Shipping"}, {"Freight", "Transportation"},
	{"Hotels", "Hospitality"}, {"Resorts", "Hospitality"},
	{"Retail", "Retail"}, {"Outfitters", "Retail"},
	{"Farms", "Agriculture"}, {"Agritech", "Agriculture"},
	{"Utilities", "Utilities"}, {"Power", "Utilities"},
	{"Studios", "Entertainment"}, {"Entertainment", "Entertainment"},
	{"Learning", "Education"}, {"Academy", "Education"},
	{"Environmental", "Environmental"}, {"Recycling", "Environmental"},
	{"Foundation", "Not For Profit"}, {"Machinery", "Machinery"},
	{"Outdoor", "Recreation"}, {"Fitness", "Recreation"},
	{"Data", "Technology"}, {"AI", "Technology"}, {"Medical", "Healthcare"},
	{"Clinic", "Healthcare"}, {"Apparel", "Apparel"}, {"Aerospace", "Engineering"},
}

// nameQualifiers optionally follow the noun.
var nameQualifiers = []string{
	"Group", "Holdings", "International", "Global", "Worldwide", "America",
	"USA", "Europe", "Services", "Industries", "Enterprises", "Technologies",
	"Company", "Associates", "Ventures",
}

// legalSuffixes per country: each group lists the canonical form (with
// its leading separator) followed by variants of the same legal form.
var legalSuffixes = [][][]string{
	ctryUS: {
		{" Inc.", " Inc", ", Inc.", ", Inc", " Incorporated", ", INC."},
		{" LLC", ", LLC", " L.L.C.", " llc"},
		{" Corp.", " Corp", " Corporation", ", Corp."},
		{" Co.", " Co", " Company", " & Co."},
	},
	ctryUK: {
		{" Ltd", " Ltd.", " Limited", " LTD"},
		{" plc", " PLC", " Plc"},
		{" LLP", " L.L.P."},
	},
	ctryDE: {
		{" GmbH", " GMBH", " Gmbh", " G.m.b.H."},
		{" AG", " A.G."},
		{" GmbH & Co. KG", " GmbH & Co KG", " GmbH&Co. KG"},
	},
	ctryFR: {
		{" SAS", " S.A.S.", " sas"},
		{" SA", " S.A."},
		{" SARL", " S.A.R.L.", " Sarl"},
	},
}

var tldByCountry = [][]string{
	ctryUS: {".com", ".com", ".com", ".com", ".io", ".net", ".co", ".us"},
	ctryUK: {".co.uk", ".co.uk", ".com", ".uk"},
	ctryDE: {".de", ".de", ".com"},
	ctryFR: {".fr", ".fr", ".com"},
}

var freeMailByCountry = [][]string{
	ctryUS: {"gmail.com", "gmail.com", "gmail.com", "yahoo.com", "yahoo.com", "outlook.com", "hotmail.com", "icloud.com", "aol.com"},
	ctryUK: {"gmail.com", "gmail.com", "yahoo.co.uk", "outlook.com", "hotmail.co.uk", "btinternet.com"},
	ctryDE: {"gmail.com", "web.de", "gmx.de", "gmx.net", "t-online.de", "outlook.com"},
	ctryFR: {"gmail.com", "orange.fr", "free.fr", "laposte.net", "hotmail.fr", "yahoo.fr"},
}

var industries = []string{
	"Agriculture", "Apparel", "Banking", "Biotechnology", "Chemicals",
	"Communications", "Construction", "Consulting", "Education",
	"Electronics", "Energy", "Engineering", "Entertainment", "Environmental",
	"Finance", "Food & Beverage", "Government", "Healthcare", "Hospitality",
	"Insurance", "Machinery", "Manufacturing", "Media", "Not For Profit",
	"Recreation", "Retail", "Shipping", "Technology", "Telecommunications",
	"Transportation", "Utilities", "Other",
}

// Deal stages, index-aligned between the systems (the default stage map).
var (
	hsDealStages = []string{"appointmentscheduled", "qualifiedtobuy", "presentationscheduled", "decisionmakerboughtin", "contractsent", "closedwon", "closedlost"}
	sfOppStages  = []string{"Prospecting", "Qualification", "Needs Analysis", "Proposal/Price Quote", "Negotiation/Review", "Closed Won", "Closed Lost"}
)

const (
	stageClosedWon  = 5
	stageClosedLost = 6
)

var lifecycleStages = []string{"subscriber", "lead", "marketingqualifiedlead", "salesqualifiedlead", "opportunity", "customer"}

var leadStatuses = []string{"Open - Not Contacted", "Working - Contacted", "Closed - Converted", "Closed - Not Converted"}

var dealProducts = []string{
	"Enterprise License", "Platform Subscription", "Renewal", "Expansion",
	"Pilot", "Professional Services", "Support Contract", "Additional Seats",
	"Implementation", "Annual Plan", "Multi-Year Agreement", "Upgrade",
	"Data Migration", "Training Package", "Managed Services", "Proof of Concept",
	"Hardware Refresh", "Consulting Engagement", "Starter Plan", "Premium Support",
}

// leadNoCompany is what HubSpot's Salesforce integration writes into the
// required Lead.Company when the contact has no company.
const leadNoCompany = "[not provided]"
