import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * Load driver for scripts/stress-webhook.sh: normal reviews alone, then normal reviews while hostile ones
 * hit the webhook (the inputs of issue 11), sampling the server's resident memory. Talks only to the
 * loopback address it is given; every loop is bounded in time.
 *
 * java WebhookStress.java URL METRICS_URL PID SECONDS
 */
public class WebhookStress {

    static final String SAMPLE = """
            {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"NAME","namespace":"NS","labels":{"app":"web"}},
             "spec":{"replicas":3,"selector":{"matchLabels":{"app":"web"}},"template":{"metadata":{"labels":{"app":"web"}},
             "spec":{"securityContext":{"runAsNonRoot":true,"seccompProfile":{"type":"RuntimeDefault"}},
             "topologySpreadConstraints":[{"maxSkew":1,"topologyKey":"kubernetes.io/hostname","whenUnsatisfiable":"ScheduleAnyway","labelSelector":{"matchLabels":{"app":"web"}}}],
             "containers":[CONTAINERS]}}}}""";
    static final String CONTAINER = """
            {"name":"CNAME","image":"IMAGE","resources":{"requests":{"cpu":"100m","memory":"128Mi"},"limits":{"memory":"256Mi"}},
             "readinessProbe":{"httpGet":{"path":"/ready","port":8080}},"livenessProbe":{"httpGet":{"path":"/live","port":8080}},
             "securityContext":{"allowPrivilegeEscalation":false,"readOnlyRootFilesystem":true,"capabilities":{"drop":["ALL"]CAPS}}}""";

    static final AtomicLong SEQUENCE = new AtomicLong();
    static HttpClient client;
    static URI url;

    public static void main(String[] args) throws Exception {
        url = URI.create(args[0]);
        URI metrics = URI.create(args[1]);
        long pid = Long.parseLong(args[2]);
        int seconds = Integer.parseInt(args[3]);
        client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).sslContext(trustAll())
                .connectTimeout(Duration.ofSeconds(5)).executor(Executors.newFixedThreadPool(8)).build();

        System.out.println("--- warm-up (" + seconds / 2 + " s, normal reviews)");
        normalLoad(seconds / 2, 4, null);
        Memory memory = new Memory(pid);
        System.out.printf("resident memory after warm-up: %d MiB%n", memory.rss() / 1024);

        System.out.println("--- normal reviews alone (" + seconds + " s, 4 clients)");
        List<Long> alone = normalLoad(seconds, 4, memory);
        report("normal, alone", alone);

        System.out.println("--- normal reviews while hostile ones arrive (" + seconds + " s)");
        AtomicBoolean stop = new AtomicBoolean();
        Map<String, Hostile> hostile = new TreeMap<>();
        hostile.put("containers-20001 x16", new Hostile(16, WebhookStress::containers20k));
        hostile.put("capabilities-7200", new Hostile(1, WebhookStress::capabilities));
        hostile.put("slow-rule-98KB", new Hostile(1, () -> annotated("safeguard.stress/slow", "a".repeat(98_000))));
        hostile.put("slow-rule-585KB", new Hostile(1, () -> annotated("safeguard.stress/slow", "a".repeat(585_000))));
        hostile.put("heap-rule-2.7KB", new Hostile(1, () -> annotated("safeguard.stress/heap", "a".repeat(2_700))));
        hostile.put("image-7MB", new Hostile(1, () -> deployment("web", "shop",
                container("web", "registry.example.com/" + "x".repeat(7 * 1024 * 1024) + ":1.0", ""))));
        hostile.put("random-labels", new Hostile(1, RANDOM));
        // STRESS_SKIP=name,name leaves inputs out, to see what each costs
        for (String skip : System.getenv().getOrDefault("STRESS_SKIP", "").split(",")) {
            hostile.remove(skip.trim());
        }
        ExecutorService pool = Executors.newCachedThreadPool();
        for (Map.Entry<String, Hostile> entry : hostile.entrySet()) {
            for (int i = 0; i < entry.getValue().senders; i++) {
                pool.submit(() -> entry.getValue().run(stop));
            }
        }
        List<Long> during = normalLoad(seconds, 4, memory);
        stop.set(true);
        pool.shutdown();
        pool.awaitTermination(60, TimeUnit.SECONDS);
        report("normal, under hostile load", during);
        System.out.println();
        System.out.printf("%-22s %8s %28s %10s %10s%n", "hostile input", "sent", "answers", "p99 ms", "max ms");
        for (Map.Entry<String, Hostile> entry : hostile.entrySet()) {
            Hostile h = entry.getValue();
            System.out.printf("%-22s %8d %28s %10d %10d%n", entry.getKey(), h.latencies.size(), h.outcomes,
                    percentile(h.latencies, 0.99), h.latencies.isEmpty() ? 0 : Collections.max(h.latencies));
        }
        Thread.sleep(1_000);
        memory.sample();
        System.out.println();
        System.out.printf("resident memory: peak sampled %d MiB, high-water mark (VmHWM) %d MiB, now %d MiB%n",
                memory.peak / 1024, memory.hwm() / 1024, memory.rss() / 1024);
        HttpResponse<String> scrape = client.send(HttpRequest.newBuilder(metrics).build(),
                HttpResponse.BodyHandlers.ofString());
        long series = scrape.body().lines().filter(line -> line.startsWith("safeguard_")).count();
        System.out.printf("safeguard_* series after the run: %d (/q/metrics %d KB)%n", series, scrape.body().length() / 1024);
        scrape.body().lines().filter(line -> line.startsWith("safeguard_admission_internal_errors_total")
                || line.startsWith("safeguard_admission_input_limit_exceeded_total")).filter(line -> !line.endsWith(" 0.0"))
                .forEach(line -> System.out.println("  " + line));
        long after = post(deployment("after", "shop", container("web", "registry.example.com/shop/web:1.4.2", "")));
        System.out.printf("a normal review after the run: %d ms%n", after);
        System.exit(0);
    }

    /** Normal reviews from {@code clients} threads for {@code seconds}; latencies in ms. */
    static List<Long> normalLoad(int seconds, int clients, Memory memory) throws InterruptedException {
        List<Long> latencies = new CopyOnWriteArrayList<>();
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        List<Thread> threads = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            Thread thread = new Thread(() -> {
                int i = 0;
                while (System.nanoTime() < end) {
                    String image = i++ % 3 == 0 ? "shop/api:latest" : "registry.example.com/shop/web:1.4.2";
                    long took = post(deployment("web-" + i, "shop", container("web", image, "")));
                    if (took >= 0) {
                        latencies.add(took);
                    }
                }
            });
            thread.start();
            threads.add(thread);
        }
        while (System.nanoTime() < end) {
            if (memory != null) {
                memory.sample();
            }
            Thread.sleep(100);
        }
        for (Thread thread : threads) {
            thread.join();
        }
        return latencies;
    }

    static void report(String what, List<Long> latencies) {
        System.out.printf("%s: %d reviews, p50 %d ms, p99 %d ms, max %d ms%n", what, latencies.size(),
                percentile(latencies, 0.50), percentile(latencies, 0.99),
                latencies.isEmpty() ? 0 : Collections.max(latencies));
    }

    static long percentile(List<Long> values, double p) {
        if (values.isEmpty()) {
            return 0;
        }
        List<Long> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(p * sorted.size()) - 1));
    }

    /** Posts one review; its latency in ms, or -1 when it failed at the HTTP level. */
    static long post(String object) {
        return send(review(object)).latency;
    }

    record Result(long latency, String outcome) {
    }

    static Result send(String review) {
        long started = System.nanoTime();
        try {
            HttpResponse<String> response = client.send(HttpRequest.newBuilder(url)
                    .header("Content-Type", "application/json").timeout(Duration.ofSeconds(30))
                    .POST(HttpRequest.BodyPublishers.ofString(review)).build(), HttpResponse.BodyHandlers.ofString());
            long took = (System.nanoTime() - started) / 1_000_000;
            String body = response.body();
            String outcome = response.statusCode() != 200 ? "http-" + response.statusCode()
                    : body.contains("\"allowed\":false") ? (body.contains("too large") ? "denied-limit" : "denied")
                    : body.contains("not decided within") ? "allowed-deadline"
                    : body.contains("overloaded") ? "allowed-overloaded"
                    : body.contains("[kube-safeguard]") ? "allowed-error" : "allowed";
            return new Result(took, outcome);
        } catch (Exception e) {
            return new Result(-1, "failed-" + e.getClass().getSimpleName());
        }
    }

    static final class Hostile {
        final int senders;
        final java.util.function.Supplier<String> object;
        final List<Long> latencies = new CopyOnWriteArrayList<>();
        final Map<String, AtomicLong> outcomes = new ConcurrentHashMap<>() {
            @Override
            public String toString() {
                return new TreeMap<>(this).toString().replace(" ", "");
            }
        };

        Hostile(int senders, java.util.function.Supplier<String> object) {
            this.senders = senders;
            this.object = object;
        }

        void run(AtomicBoolean stop) {
            String body = review(object.get());
            while (!stop.get()) {
                Result result = send(body.replace("\"uid\":\"u\"", "\"uid\":\"u" + SEQUENCE.incrementAndGet() + "\""));
                latencies.add(Math.max(0, result.latency));
                outcomes.computeIfAbsent(result.outcome, key -> new AtomicLong()).incrementAndGet();
                if (object == (Object) RANDOM) {
                    body = review(object.get());
                }
            }
        }
    }

    static final java.util.function.Supplier<String> RANDOM = WebhookStress::randomLabels;

    static String review(String object) {
        return "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":{\"uid\":\"u\","
                + "\"kind\":{\"group\":\"apps\",\"version\":\"v1\",\"kind\":\"Deployment\"},\"operation\":\"CREATE\","
                + "\"namespace\":\"shop\",\"userInfo\":{\"username\":\"stress\"},\"object\":" + object + "}}";
    }

    static String deployment(String name, String namespace, String containers) {
        return SAMPLE.replace("NAME", name).replace("NS", namespace).replace("CONTAINERS", containers);
    }

    static String container(String name, String image, String caps) {
        return CONTAINER.replace("CNAME", name).replace("IMAGE", image).replace("CAPS", caps);
    }

    static String containers20k() {
        StringBuilder containers = new StringBuilder();
        for (int i = 0; i < 20_001; i++) {
            containers.append(i == 0 ? "" : ",").append("{\"name\":\"c").append(i).append("\",\"image\":\"busybox\"}");
        }
        return deployment("many", "shop", containers.toString());
    }

    static String capabilities() {
        StringBuilder add = new StringBuilder(",\"add\":[");
        for (int i = 0; i < 7_200; i++) {
            add.append("\"NET_BIND_SERVICE\",");
        }
        add.append("\"SYS_ADMIN\"]");
        return deployment("caps", "shop", container("web", "registry.example.com/shop/web:1.4.2", add.toString()));
    }

    static String annotated(String key, String value) {
        return deployment("annotated", "shop", container("web", "registry.example.com/shop/web:1.4.2", ""))
                .replace("\"labels\":{\"app\":\"web\"}}", "\"labels\":{\"app\":\"web\"},\"annotations\":{\"" + key
                        + "\":\"" + value + "\"}}");
    }

    static final Random RANDOM_VALUES = new Random(11);

    static String randomLabels() {
        String namespace = "ns-" + Long.toHexString(RANDOM_VALUES.nextLong());
        return deployment("r", namespace, container("web", "shop/api:latest", ""))
                .replace("\"kind\":\"Deployment\"", "\"kind\":\"K" + Long.toHexString(RANDOM_VALUES.nextLong()) + "\"");
    }

    /** Resident memory of the server process from /proc, in KiB. */
    static final class Memory {
        final long pid;
        long peak;

        Memory(long pid) {
            this.pid = pid;
        }

        long field(String name) {
            try {
                for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                    if (line.startsWith(name + ":")) {
                        return Long.parseLong(line.replaceAll("[^0-9]", ""));
                    }
                }
            } catch (Exception e) {
                return -1;
            }
            return -1;
        }

        long rss() {
            return field("VmRSS");
        }

        long hwm() {
            return field("VmHWM");
        }

        void sample() {
            peak = Math.max(peak, rss());
        }
    }

    static SSLContext trustAll() throws Exception {
        TrustManager[] trustAll = {new X509TrustManager() {
            public void checkClientTrusted(X509Certificate[] chain, String authType) {
            }

            public void checkServerTrusted(X509Certificate[] chain, String authType) {
            }

            public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
            }
        }};
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, trustAll, new SecureRandom());
        return context;
    }

    static {
        Locale.setDefault(Locale.ROOT);
    }
}
