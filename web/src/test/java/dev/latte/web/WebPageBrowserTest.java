package dev.latte.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.latte.encoders.BundledModel;
import dev.latte.encoders.OnnxTokenEncoder;
import java.io.File;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The search page at {@code /}, end to end in a real headless Chromium: it lists the indexes,
 * searches, highlights the matched spans with {@code <mark>}, renders document text as text (never
 * as HTML) and shows the query × document token alignment heatmap. Needs Debian's {@code chromium}
 * and {@code chromium-driver} (paths overridable with {@code -Dlatte.chromium=} and {@code
 * -Dlatte.chromedriver=}); skipped without them. Nothing is downloaded: Selenium gets both paths
 * explicitly, so Selenium Manager never runs. Leaves a screenshot in {@code
 * target/screenshots/search.png}.
 */
class WebPageBrowserTest {
  static final Path CHROMIUM = Path.of(System.getProperty("latte.chromium", "/usr/bin/chromium"));
  static final Path CHROMEDRIVER =
      Path.of(System.getProperty("latte.chromedriver", "/usr/bin/chromedriver"));

  @TempDir static Path tmp;
  static OnnxTokenEncoder encoder;
  static IndexRegistry registry;
  static LatteService service;
  static WebDriver driver;
  static final HttpClient http = HttpClient.newHttpClient();
  static final ObjectMapper json = new ObjectMapper();

  static final String[][] DOCS = {
    {
      "espresso",
      "Espresso",
      "Espresso is coffee brewed by forcing hot water through finely ground beans, topped with"
          + " crema."
    },
    {"tea", "Green tea", "Green tea leaves are steamed and dried; the brew is pale and grassy."},
    {"bread", "Sourdough bread", "Sourdough bread rises with wild yeast and lactic bacteria."},
    {"bike", "Bicycle repair", "Fix a flat tyre: remove the wheel, patch the inner tube, inflate."},
    {"whale", "Blue whale", "The blue whale is the largest animal known to have ever lived."},
    {"volcano", "Volcanoes", "Magma rises through the crust and erupts as lava and ash."},
    {"chess", "Chess openings", "The Sicilian Defence answers the king's pawn with c5."},
    {"garden", "Tomato garden", "Tomatoes need sun, deep watering and support for their vines."},
    {"piano", "Piano practice", "Scales and arpeggios build finger independence at the piano."},
    {
      "markup",
      "Markup <b>bold</b> & friends",
      "A tag soup <img src=x onerror=\"window.pwned=1\"><script>window.pwned=2</script> about"
          + " tyres."
    },
  };

  @BeforeAll
  static void start() throws Exception {
    Assumptions.assumeTrue(
        Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER),
        "skipped: needs Chromium at "
            + CHROMIUM
            + " and ChromeDriver at "
            + CHROMEDRIVER
            + " (Debian: apt-get install chromium chromium-driver; .ci/run installs them)");
    encoder = OnnxTokenEncoder.load(BundledModel.folder(), 1, 2);
    registry = new IndexRegistry(tmp.resolve("data"), encoder, 1, 1, 200);
    service = new LatteService(registry, LatteService.Options.open()).start("127.0.0.1", 0);
    ok(send("POST", "/v1/indexes", "{\"name\": \"cafe\"}"), 201);
    var docs = json.createArrayNode();
    for (String[] d : DOCS) docs.addObject().put("id", d[0]).put("title", d[1]).put("text", d[2]);
    ok(send("POST", "/v1/indexes/cafe/documents", docs.toString()), 200);

    System.setProperty("webdriver.chrome.driver", CHROMEDRIVER.toString());
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toFile());
    options.addArguments(
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--window-size=1280,1400",
        "--user-data-dir=" + tmp.resolve("chromium-profile"));
    ChromeDriverService driverService =
        new ChromeDriverService.Builder()
            .usingDriverExecutable(new File(CHROMEDRIVER.toString()))
            .usingAnyFreePort()
            .build();
    driver = new ChromeDriver(driverService, options);
  }

  @AfterAll
  static void stop() throws Exception {
    if (driver != null) driver.quit();
    if (service != null) service.close();
    if (registry != null) registry.close();
    if (encoder != null) encoder.close();
  }

  static HttpResponse<String> send(String method, String path, String body) throws Exception {
    return TestHttp.send(service.port(), method, path, body, "application/json", null);
  }

  static JsonNode ok(HttpResponse<String> r, int status) throws Exception {
    return TestHttp.ok(r, status);
  }

  @Test
  void pageIsServedAsHtml() throws Exception {
    HttpResponse<String> r = send("GET", "/", null);
    assertEquals(200, r.statusCode());
    assertEquals(
        "text/html;charset=utf-8",
        r.headers()
            .firstValue("Content-Type")
            .orElse("")
            .replace(" ", "")
            .toLowerCase(Locale.ROOT));
    assertTrue(r.body().contains("id=\"q\""), "the page has the search box");
    assertFalse(r.body().contains("http://") || r.body().contains("https://"), "no external URLs");
  }

  @Test
  void searchHighlightsMatchesAndShowsTheAlignment() throws Exception {
    String query = "espresso crema";
    WebDriverWait wait = new WebDriverWait(driver, Duration.ofSeconds(30));
    driver.get("http://127.0.0.1:" + service.port() + "/");
    wait.until(
        ExpectedConditions.presenceOfElementLocated(By.cssSelector("#index option[value=cafe]")));
    new Select(driver.findElement(By.id("index"))).selectByValue("cafe");
    new Select(driver.findElement(By.id("method"))).selectByValue("maxsim-exact");
    driver.findElement(By.id("q")).sendKeys(query);
    driver.findElement(By.id("go")).click();
    List<WebElement> hits =
        wait.until(ExpectedConditions.numberOfElementsToBeMoreThan(By.cssSelector(".hit"), 0));

    // The page shows what the API answers, first hit first.
    JsonNode api =
        ok(
            send(
                "POST",
                "/v1/indexes/cafe/search",
                "{\"query\": \"" + query + "\", \"k\": 10, \"explain\": true}"),
            200);
    assertEquals(api.get("hits").size(), hits.size());
    WebElement first = hits.get(0);
    assertEquals("espresso", first.getAttribute("data-docid"));
    assertEquals("Espresso", first.findElement(By.cssSelector(".title")).getText());
    assertTrue(
        first.findElement(By.cssSelector(".text")).getText().startsWith("Espresso is coffee"),
        first.getText());

    // The matched spans are marked, and at least one is a query word.
    List<String> marks =
        first.findElements(By.tagName("mark")).stream()
            .map(m -> m.getText().toLowerCase(Locale.ROOT))
            .toList();
    assertTrue(
        marks.stream().anyMatch(m -> m.contains("espresso") || m.contains("crema")),
        "marks: " + marks);

    // The alignment: one row per query token, each with its similarity as a number.
    first.findElement(By.cssSelector(".toggle-alignment")).click();
    WebElement heatmap =
        wait.until(ExpectedConditions.visibilityOf(first.findElement(By.cssSelector(".heatmap"))));
    JsonNode matches = api.get("hits").get(0).get("explain").get("matches");
    List<WebElement> rows = heatmap.findElements(By.cssSelector("tbody tr"));
    assertEquals(matches.size(), rows.size());
    for (int i = 0; i < rows.size(); i++) {
      WebElement row = rows.get(i);
      JsonNode m = matches.get(i);
      assertEquals(m.get("query_token").asText(), row.findElement(By.tagName("th")).getText());
      List<WebElement> cells = row.findElements(By.cssSelector("td.cell"));
      assertEquals(1, cells.size(), "one best document token per query token");
      double sim = Double.parseDouble(cells.get(0).getText());
      assertEquals(m.get("similarity").asDouble(), sim, 0.0006);
      assertEquals(
          sim, Double.parseDouble(row.findElement(By.cssSelector("td.contrib")).getText()));
    }
    assertTrue(
        heatmap.findElements(By.cssSelector("thead th.dtok")).size() <= matches.size(),
        "columns are distinct best document tokens");
    List<String> queryTokens =
        heatmap.findElements(By.cssSelector("tbody th")).stream().map(WebElement::getText).toList();
    // Word pieces ("es", "##press", "##o"): glued back together they spell the query words.
    String glued = String.join(" ", queryTokens).replace(" ##", "");
    assertTrue(
        glued.contains("espresso") && glued.contains("crema"),
        "the query words are rows: " + queryTokens);

    screenshot("search.png");
  }

  @Test
  void documentTextIsRenderedAsTextNeverAsHtml() throws Exception {
    WebDriverWait wait = new WebDriverWait(driver, Duration.ofSeconds(30));
    driver.get("http://127.0.0.1:" + service.port() + "/");
    wait.until(
        ExpectedConditions.presenceOfElementLocated(By.cssSelector("#index option[value=cafe]")));
    new Select(driver.findElement(By.id("index"))).selectByValue("cafe");
    new Select(driver.findElement(By.id("method"))).selectByValue("bm25");
    driver.findElement(By.id("q")).sendKeys("tag soup markup bold");
    driver.findElement(By.id("go")).click();
    wait.until(
        ExpectedConditions.presenceOfElementLocated(By.cssSelector(".hit[data-docid=markup]")));
    WebElement hit = driver.findElement(By.cssSelector(".hit[data-docid=markup]"));
    assertEquals(
        "Markup <b>bold</b> & friends", hit.findElement(By.cssSelector(".title")).getText());
    assertTrue(hit.findElement(By.cssSelector(".text")).getText().contains("<script>"));
    assertTrue(
        driver.findElements(By.cssSelector("#results b, #results img, #results script")).isEmpty());
    assertNull(
        ((org.openqa.selenium.JavascriptExecutor) driver).executeScript("return window.pwned"));
  }

  static void screenshot(String name) throws Exception {
    Path dir = Path.of("target", "screenshots").toAbsolutePath();
    Files.createDirectories(dir);
    File shot = ((TakesScreenshot) driver).getScreenshotAs(OutputType.FILE);
    Files.copy(shot.toPath(), dir.resolve(name), StandardCopyOption.REPLACE_EXISTING);
  }
}
