#!/usr/bin/perl
# Write the benchmark's MaxMind DB from the network list that
# "bench.py geo-networks" writes.
#
# Usage: make-bench-mmdb.pl NETWORKS.tsv OUT.mmdb
# Input lines: NETWORK LATITUDE LONGITUDE COUNTRY CONTINENT (tab-separated).
# Output: GeoIP2-City layout (location.latitude, location.longitude,
# country.iso_code, continent.code), IPv6 tree, record size 28, IPv4 aliased
# into ::ffff:0:0/96 like MaxMind's databases, so that gslbd and gdnsd read
# it as they read GeoLite2-City. Needs Debian's libmaxmind-db-writer-perl.
use strict;
use warnings;

use MaxMind::DB::Writer::Tree;

die "usage: make-bench-mmdb.pl NETWORKS.tsv OUT.mmdb\n" unless @ARGV == 2;
my ($in, $out) = @ARGV;

my %types = (
	continent          => 'map',
	country            => 'map',
	registered_country => 'map',
	location           => 'map',
	code               => 'utf8_string',
	iso_code           => 'utf8_string',
	latitude           => 'double',
	longitude          => 'double',
	accuracy_radius    => 'uint16',
);

my $tree = MaxMind::DB::Writer::Tree->new(
	ip_version               => 6,
	record_size              => 28,
	database_type            => 'GeoIP2-City',
	languages                => ['en'],
	description              => { en => 'gslbd benchmark City database' },
	map_key_type_callback    => sub { $types{ $_[0] } // die "make-bench-mmdb: no type for '$_[0]'\n" },
	merge_strategy           => 'none',
	alias_ipv6_to_ipv4       => 1,
	remove_reserved_networks => 0,
);
$tree->_set_build_epoch(1700000000);

open(my $fh, '<', $in) or die "make-bench-mmdb: $in: $!\n";
my $n = 0;
while (my $line = <$fh>) {
	chomp $line;
	my ($net, $lat, $lon, $cc, $cont) = split /\t/, $line;
	$tree->insert_network($net, {
		continent          => { code => $cont },
		country            => { iso_code => $cc },
		registered_country => { iso_code => $cc },
		location           => { latitude => $lat + 0, longitude => $lon + 0, accuracy_radius => 100 },
	});
	$n++;
}
close($fh);

open(my $ofh, '>:raw', $out) or die "make-bench-mmdb: $out: $!\n";
$tree->write_tree($ofh);
close($ofh) or die "make-bench-mmdb: $out: $!\n";
print "$n\n";
