# Turn a text file into a C string constant for the status page:
#   awk -v name=IDENT -f embed.awk FILE
# Backslashes, quotes and question marks (no trigraphs) are escaped one
# character at a time: gsub() replacement rules for backslashes differ
# between awks.
function esc(s,    out, i, c) {
	out = ""
	for (i = 1; i <= length(s); i++) {
		c = substr(s, i, 1)
		if (c == "\\" || c == "\"" || c == "?")
			out = out "\\" c
		else
			out = out c
	}
	return out
}
BEGIN { printf "const char %s[] =\n", name }
{ printf "\t\"%s\\n\"\n", esc($0) }
END { print "\t;" }
