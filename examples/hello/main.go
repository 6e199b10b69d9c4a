// Command hello is the sample tenant service of the demo and the serving
// tests: a small web server on $PORT (the port the provider assigned). It
// answers / with a greeting naming its lease, service, replica and GPUs,
// /healthz with ok, /status/<code> with that status (a test uses
// /status/500 as a failing health check) and /env-sha256/<NAME> with the
// sha256 of a variable's value (a test checks a secret arrived without the
// service showing it). It logs one line per request.
package main

import (
	"crypto/sha256"
	"fmt"
	"log"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"
)

func main() {
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		_, _ = fmt.Fprintf(w, "hello from lease %s, service %s, replica %s, gpus [%s] (prefix %q)\n",
			os.Getenv("DAIT_LEASE_ID"), os.Getenv("DAIT_SERVICE"), os.Getenv("DAIT_REPLICA"),
			os.Getenv("CUDA_VISIBLE_DEVICES"), r.Header.Get("X-Forwarded-Prefix"))
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = fmt.Fprintln(w, "ok") })
	// The sha256 of a variable's value: a test checks a secret arrived
	// without the service ever showing it.
	mux.HandleFunc("GET /env-sha256/{name}", func(w http.ResponseWriter, r *http.Request) {
		v, ok := os.LookupEnv(r.PathValue("name"))
		if !ok {
			http.Error(w, "not set", http.StatusNotFound)
			return
		}
		_, _ = fmt.Fprintf(w, "%x\n", sha256.Sum256([]byte(v)))
	})
	mux.HandleFunc("GET /status/{code}", func(w http.ResponseWriter, r *http.Request) {
		code, err := strconv.Atoi(r.PathValue("code"))
		if err != nil || code < 200 || code > 599 {
			http.Error(w, "want /status/<200-599>", http.StatusBadRequest)
			return
		}
		w.WriteHeader(code)
	})
	logged := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		log.Printf("%s %s", r.Method, r.URL.Path)
		mux.ServeHTTP(w, r)
	})
	srv := &http.Server{Addr: ":" + port, Handler: logged, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
		<-sig
		log.Print("stopping")
		_ = srv.Close()
	}()
	log.SetOutput(os.Stdout)
	log.Printf("listening on :%s", port)
	if err := srv.ListenAndServe(); err != nil && err != http.ErrServerClosed {
		log.Fatal(err)
	}
}
