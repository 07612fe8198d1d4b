package redisstore

import "testing"

// TestUnavailableReply: the error replies that mean Redis cannot serve now, in the forms
// Redis 7 gives (the reply itself) and Redis 5 and 6 give for a script (wrapped in ERR Error
// running script), against replies that mean the command or the data is wrong.
func TestUnavailableReply(t *testing.T) {
	tests := []struct {
		msg  string
		want bool
	}{
		{"OOM command not allowed when used memory > 'maxmemory'. script: 19e0, on @user_script:49.", true},
		{"LOADING Redis is loading the dataset in memory", true},
		{"BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.", true},
		{"READONLY You can't write against a read only replica.", true},
		{"MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.", true},
		{"CLUSTERDOWN The cluster is down", true},
		{"TRYAGAIN Multiple keys request during rehashing of slot", true},
		{"MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk.", true},
		{"NOREPLICAS Not enough good replicas to write.", true},
		// Redis 5 and 6: a script's redis.call error inside the script error.
		{"ERR Error running script (call to f_19e0): @user_script:49: -OOM command not allowed when used memory > 'maxmemory'.", true},
		{"ERR Error running script (call to f_19e0): @user_script: 49: -READONLY You can't write against a read only replica.", true},
		{"ERR Error running script (call to f_19e0): @user_script:49: -WRONGTYPE Operation against a key holding the wrong kind of value", false},
		{"ERR Error running script (call to f_19e0): @user_script:12: user_script:12: attempt to compare nil with number", false},
		{"ERR unknown command 'FOO'", false},
		{"ERR value: -OOM is not an error code here", false},
		{"WRONGTYPE Operation against a key holding the wrong kind of value", false},
		{"NOSCRIPT No matching script. Please use EVAL.", false},
		{"NOPERM this user has no permissions to run the 'evalsha' command", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := unavailableReply(tt.msg); got != tt.want {
			t.Errorf("unavailableReply(%q) = %v, want %v", tt.msg, got, tt.want)
		}
	}
}
