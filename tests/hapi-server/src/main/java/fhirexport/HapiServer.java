package fhirexport;

import ca.uhn.fhir.rest.server.RestfulServer;
import java.net.InetSocketAddress;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.springframework.context.annotation.AnnotationConfigApplicationContext;

/**
 * A HAPI FHIR JPA server (in-memory H2) on 127.0.0.1 for fhir-export's integration tests.
 *
 * <p>Usage: {@code java -cp ... fhirexport.HapiServer R4|R5 [port] [--watch-stdin]
 * [--no-client-ids]} (port 0: a free one; default 8080). With --no-client-ids the server refuses
 * client-assigned ids ({@code JpaStorageSettings.setResourceClientIdStrategy(NOT_ALLOWED)}, the
 * starter's {@code hapi.fhir.client_id_strategy: NOT_ALLOWED}), as Medplum does: a PUT Type/id of
 * a new resource is refused, a conditional update creates it with an id of the server's. Prints {@code READY http://127.0.0.1:<port>/fhir} on stdout once it
 * answers. Stops on SIGINT/SIGTERM and, with --watch-stdin (the tests), when its stdin closes,
 * so a test run that dies never leaves a server behind.
 */
public final class HapiServer {
  public static void main(String[] args) throws Exception {
    java.util.List<String> rest = new java.util.ArrayList<>(java.util.List.of(args));
    boolean watchStdin = rest.remove("--watch-stdin");
    if (rest.remove("--no-client-ids")) {
      System.setProperty(ServerConfig.NO_CLIENT_IDS, "true");
    }
    String release = rest.size() > 0 ? rest.get(0) : "R4";
    int port = rest.size() > 1 ? Integer.parseInt(rest.get(1)) : 8080;
    Class<?> config;
    switch (release) {
      case "R4" -> config = R4Config.class;
      case "R5" -> config = R5Config.class;
      default -> {
        System.err.println("usage: HapiServer R4|R5 [port] [--watch-stdin] [--no-client-ids]");
        System.exit(2);
        return;
      }
    }
    AnnotationConfigApplicationContext spring = new AnnotationConfigApplicationContext(config);
    RestfulServer fhir = spring.getBean(RestfulServer.class);

    Server jetty = new Server(new InetSocketAddress("127.0.0.1", port));
    ServletContextHandler context = new ServletContextHandler();
    context.setContextPath("/");
    context.addServlet(new ServletHolder(fhir), "/fhir/*");
    jetty.setHandler(context);
    jetty.start();
    int actual = ((ServerConnector) jetty.getConnectors()[0]).getLocalPort();
    System.out.println("READY http://127.0.0.1:" + actual + "/fhir");
    System.out.flush();

    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        jetty.stop();
      } catch (Exception ignored) {
        // stopping anyway
      }
      spring.close();
    }));
    if (!watchStdin) {
      jetty.join();
      return;
    }
    // Stop when the parent closes our stdin (the test process ended, even if it was killed).
    while (System.in.read() != -1) {
      // ignore input
    }
    System.exit(0);
  }
}
