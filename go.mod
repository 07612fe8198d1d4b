module github.com/rampart-go/rampart

go 1.25.0
