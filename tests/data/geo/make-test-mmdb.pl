#!/usr/bin/perl
# Write the small MaxMind DB files the geo and policy tests read.
#
# Usage: make-test-mmdb.pl [OUTDIR]    (default: the script's directory)
# Needs Debian's libmaxmind-db-writer-perl. The .mmdb files are committed next
# to this script, so running it is only needed after changing the networks.
# Check a result with: mmdblookup --file test-city.mmdb --ip 192.0.2.1
#
# test-city.mmdb: GeoIP2-City layout (location.latitude, location.longitude,
# country.iso_code, continent.code), IPv6 tree, record size 28, IPv4 aliased
# into ::ffff:0:0/96, 2001::/32 and 2002::/16 like MaxMind's databases.
#
#   network              city           country continent  lat       lon
#   81.2.69.0/24         London         GB      EU         51.5142   -0.0931
#   2.125.160.0/20       Manchester     GB      EU         53.4808   -2.2426
#   198.51.100.0/24      Dublin         IE      EU         53.3498   -6.2603
#   192.0.2.0/24         New York       US      NA         40.7128   -74.0060
#   203.0.113.0/24       Singapore      SG      AS         1.3521    103.8198
#   45.0.0.0/16          Sydney         AU      OC         -33.8688  151.2093
#   177.0.0.0/16         Sao Paulo      BR      SA         -23.5505  -46.6333
#   41.0.0.0/16          Johannesburg   ZA      AF         -26.2041  28.0473
#   37.0.0.0/28          Paris          FR      EU         48.8566   2.3522
#   62.0.0.0/24          (none)         DE      EU         no location
#   2001:db8:100::/48    London         GB      EU         51.5142   -0.0931
#   2001:db8:200::/48    New York       US      NA         40.7128   -74.0060
#   2001:db8:300::/40    Singapore      SG      AS         1.3521    103.8198
#
# Everything else is empty (not found), e.g. 10.0.0.0/8, 8.8.8.8, 2001:db8::/48.
#
# test-flat.mmdb: IPv4 tree, record size 24, flat records with top-level
# latitude, longitude, country_code and continent_code keys.
#
#   network              country continent  lat       lon
#   192.0.2.0/24         US      NA         40.7128   -74.0060
#   198.51.100.0/24      IE      EU         53.3498   -6.2603
#   203.0.113.0/25       SG      AS         1.3521    103.8198
#   203.0.113.128/25     "ZZZ"   "E"        95.0      10.0     (bad values: a
#                        reader must ignore the 3-letter country, the 1-letter
#                        continent and the out-of-range latitude)
use strict;
use warnings;
use utf8;

use File::Basename qw(dirname);
use MaxMind::DB::Writer::Tree;

my $outdir = shift // dirname(__FILE__);

# A fixed build time keeps the output reproducible.
my $BUILD_EPOCH = 1700000000;

my %city_types = (
	city             => 'map',
	continent        => 'map',
	country          => 'map',
	registered_country => 'map',
	location         => 'map',
	names            => 'map',
	code             => 'utf8_string',
	iso_code         => 'utf8_string',
	geoname_id       => 'uint32',
	latitude         => 'double',
	longitude        => 'double',
	accuracy_radius  => 'uint16',
	time_zone        => 'utf8_string',
	en               => 'utf8_string',
	'pt-BR'          => 'utf8_string',
);

sub city_type
{
	my ($key) = @_;
	return $city_types{$key} // die "make-test-mmdb: no type for key '$key'\n";
}

my %continents = (
	AF => 'Africa', AS => 'Asia', EU => 'Europe', NA => 'North America',
	OC => 'Oceania', SA => 'South America',
);

sub city_record
{
	my ($city, $cc, $country, $cont, $lat, $lon, $tz) = @_;
	my %r = (
		continent => { code => $cont, names => { en => $continents{$cont} } },
		country   => { iso_code => $cc, names => { en => $country } },
		registered_country => { iso_code => $cc, names => { en => $country } },
	);
	if (defined $city) {
		$r{city} = { names => { en => $city } };
	}
	if (defined $lat) {
		$r{location} = {
			latitude => $lat, longitude => $lon,
			accuracy_radius => 50, time_zone => $tz,
		};
	}
	return \%r;
}

my @city_networks = (
	[ '81.2.69.0/24', 'London', 'GB', 'United Kingdom', 'EU', 51.5142, -0.0931, 'Europe/London' ],
	[ '2.125.160.0/20', 'Manchester', 'GB', 'United Kingdom', 'EU', 53.4808, -2.2426, 'Europe/London' ],
	[ '198.51.100.0/24', 'Dublin', 'IE', 'Ireland', 'EU', 53.3498, -6.2603, 'Europe/Dublin' ],
	[ '192.0.2.0/24', 'New York', 'US', 'United States', 'NA', 40.7128, -74.0060, 'America/New_York' ],
	[ '203.0.113.0/24', 'Singapore', 'SG', 'Singapore', 'AS', 1.3521, 103.8198, 'Asia/Singapore' ],
	[ '45.0.0.0/16', 'Sydney', 'AU', 'Australia', 'OC', -33.8688, 151.2093, 'Australia/Sydney' ],
	[ '177.0.0.0/16', 'São Paulo', 'BR', 'Brazil', 'SA', -23.5505, -46.6333, 'America/Sao_Paulo' ],
	[ '41.0.0.0/16', 'Johannesburg', 'ZA', 'South Africa', 'AF', -26.2041, 28.0473, 'Africa/Johannesburg' ],
	[ '37.0.0.0/28', 'Paris', 'FR', 'France', 'EU', 48.8566, 2.3522, 'Europe/Paris' ],
	[ '62.0.0.0/24', undef, 'DE', 'Germany', 'EU', undef, undef, undef ],
	[ '2001:db8:100::/48', 'London', 'GB', 'United Kingdom', 'EU', 51.5142, -0.0931, 'Europe/London' ],
	[ '2001:db8:200::/48', 'New York', 'US', 'United States', 'NA', 40.7128, -74.0060, 'America/New_York' ],
	[ '2001:db8:300::/40', 'Singapore', 'SG', 'Singapore', 'AS', 1.3521, 103.8198, 'Asia/Singapore' ],
);

sub write_tree
{
	my ($tree, $file) = @_;
	$tree->_set_build_epoch($BUILD_EPOCH);
	open(my $fh, '>:raw', "$outdir/$file") or die "make-test-mmdb: $outdir/$file: $!\n";
	$tree->write_tree($fh);
	close($fh) or die "make-test-mmdb: $outdir/$file: $!\n";
}

my $city = MaxMind::DB::Writer::Tree->new(
	ip_version               => 6,
	record_size              => 28,
	database_type            => 'GeoIP2-City',
	languages                => [ 'en', 'pt-BR' ],
	description              => { en => 'gslbd test City database' },
	map_key_type_callback    => \&city_type,
	merge_strategy           => 'none',
	alias_ipv6_to_ipv4       => 1,
	remove_reserved_networks => 0,
);
for my $n (@city_networks) {
	my ($net, @rest) = @{$n};
	$city->insert_network($net, city_record(@rest));
}
write_tree($city, 'test-city.mmdb');

my %flat_types = (
	latitude       => 'double',
	longitude      => 'double',
	country_code   => 'utf8_string',
	continent_code => 'utf8_string',
);

my $flat = MaxMind::DB::Writer::Tree->new(
	ip_version               => 4,
	record_size              => 24,
	database_type            => 'gslbd-test-flat',
	description              => { en => 'gslbd test flat database' },
	map_key_type_callback    => sub { $flat_types{ $_[0] } // die "make-test-mmdb: no type for key '$_[0]'\n" },
	merge_strategy           => 'none',
	remove_reserved_networks => 0,
);
my @flat_networks = (
	[ '192.0.2.0/24', 40.7128, -74.0060, 'US', 'NA' ],
	[ '198.51.100.0/24', 53.3498, -6.2603, 'IE', 'EU' ],
	[ '203.0.113.0/25', 1.3521, 103.8198, 'SG', 'AS' ],
	[ '203.0.113.128/25', 95.0, 10.0, 'ZZZ', 'E' ],
);
for my $n (@flat_networks) {
	my ($net, $lat, $lon, $cc, $cont) = @{$n};
	$flat->insert_network($net, {
		latitude => $lat, longitude => $lon,
		country_code => $cc, continent_code => $cont,
	});
}
write_tree($flat, 'test-flat.mmdb');
