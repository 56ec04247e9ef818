using System.Globalization;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Witness.Access;
using Witness.Server.Tests.Support;
using Witness.Storage;

namespace Witness.Server.Tests.Console;

/// <summary>
/// One real server (its clock held by hand) and one Chromium for every console test: a tenant
/// <c>acme</c> in Europe/Rome with a known set of events, its Administrator, Auditor and Member, and
/// a browser state already signed in as the Administrator.
/// </summary>
public sealed class ConsoleFixture : IAsyncLifetime
{
    public const string Tenant = "acme";
    public const string Password = "correct horse battery";
    public const string AdminEmail = "ada@acme.example";
    public const string AuditorEmail = "grace@acme.example";
    public const string MemberEmail = "mel@acme.example";

    /// <summary>Activity events in <see cref="Tenant"/>: the update, the system event and 30 inbox creations.</summary>
    public const int ActivityEvents = 32;

    public static readonly DateTimeOffset Now = new(2023, 6, 23, 9, 0, 0, TimeSpan.Zero);

    private IPlaywright _playwright = null!;

    public ServerClock Clock { get; } = new(Now);
    public RunningServer Server { get; private set; } = null!;
    public IBrowser Browser { get; private set; } = null!;
    public string AdminKey { get; private set; } = null!;
    public string GlobalKey { get; private set; } = null!;

    /// <summary>Cookies of a browser signed in as the Administrator.</summary>
    public string AdminState { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Server = await RunningServer.StartAsync(o =>
        {
            o.Clock = Clock;
            // The settings pages' tests deliver webhooks to a receiver on loopback.
            o.WebhookAllowedHosts.Add("127.0.0.1");
            // Every test of the collection signs in from 127.0.0.1 and the clock stands still, so the address's failed
            // sign-ins would add up over the whole collection and never leave their window: the twentieth, wherever it
            // came from, would refuse every later sign-in (429) and leave its test waiting on the sign-in page. The
            // throttle has tests of its own (AccessControlTests), each on its own server.
            o.SignInThrottle.MaxFailuresPerAddress = 100_000;
        });
        AdminKey = await Server.CreateKeyAsync(Tenant);
        GlobalKey = await Server.CreateKeyAsync(null);
        await Task.WhenAll(
            AddUserAsync(AdminEmail, ConsoleRoles.Administrator, Tenant, "Ada Lovelace"),
            AddUserAsync(AuditorEmail, ConsoleRoles.Auditor, Tenant, "Grace Hopper"),
            AddUserAsync(MemberEmail, ConsoleRoles.Member, Tenant, "Mel Member"),
            SeedAsync());

        // Playwright's own defaults (5 s for an expectation, 30 s for a navigation) suit a quiet machine; every console
        // page here is rendered by a server sharing two cores with the rest of the suite and other builds.
        Assertions.SetDefaultExpectTimeout((float)WaitTimeout.TotalMilliseconds);
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Environment.GetEnvironmentVariable("WITNESS_TEST_CHROMIUM") is { Length: > 0 } path ? path : "/usr/bin/chromium",
            Headless = true,
            Args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });

        await using var context = await NewContextAsync();
        var page = await context.NewPageAsync();
        await SignInAsync(page, AdminEmail, Password);
        AdminState = await context.StorageStateAsync();
    }

    public async Task DisposeAsync()
    {
        await Browser.DisposeAsync();
        _playwright.Dispose();
        await Server.DisposeAsync();
    }

    /// <summary>A fresh browser context at desktop size (or the size given), optionally with saved cookies.</summary>
    public async Task<IBrowserContext> NewContextAsync(string? state = null, int width = 1400, int height = 900)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = Server.Address.ToString(),
            ViewportSize = new ViewportSize { Width = width, Height = height },
            StorageState = state,
            Locale = "en-US",
        });
        context.SetDefaultNavigationTimeout((float)(2 * WaitTimeout).TotalMilliseconds);
        return context;
    }

    public static async Task SignInAsync(IPage page, string email, string password)
    {
        await page.GotoAsync("/console/sign-in");
        await page.FillAsync("input[name=email]", email);
        await page.FillAsync("input[name=password]", password);
        await page.ClickAsync("button[type=submit]");
        try
        {
            // Signing in costs the server PBKDF2 of 600,000 rounds and a durable write of the sign-in event before the
            // console page loads: a fraction of a second on a quiet machine, many seconds with a load of 50 on two cores.
            await ArrivedAtAsync(page, new Regex("^(?!.*/sign-in)"), SignInTimeout);
        }
        catch (PlaywrightException) when (page.Url.Contains("/sign-in", StringComparison.Ordinal))
        {
            // Still on the sign-in page: say what it says (a refused password, a throttled address) rather than only
            // that the address did not change.
            var shown = await page.Locator("[role=alert], [role=status]").AllInnerTextsAsync();
            throw new Xunit.Sdk.XunitException($"Signing in as {email} stayed on {page.Url}: {string.Join(" / ", shown)}");
        }
    }

    /// <summary>
    /// How long a page may take to arrive on a loaded machine before a test fails. Under `stress --cpu 2` at a load of
    /// 60, a page's load event came more than 30 s after its address (AuditLogPageTests, one run of two).
    /// </summary>
    public static readonly TimeSpan WaitTimeout = TimeSpan.FromSeconds(60);

    /// <summary>The wait for a sign-in, which hashes a password on purpose slowly.</summary>
    public static readonly TimeSpan SignInTimeout = TimeSpan.FromSeconds(90);

    /// <summary>Clicks a link and waits until its page has loaded.</summary>
    public static async Task FollowAsync(ILocator link)
    {
        var page = link.Page;
        var target = new Uri(new Uri(page.Url), await link.GetAttributeAsync("href")).ToString();
        await link.ClickAsync();
        await ArrivedAtAsync(page, new Regex("^" + Regex.Escape(target) + "$"));
    }

    /// <summary>
    /// Waits, after an action that navigates, until the page is at a URL that matches and has loaded.
    /// It polls the URL instead of waiting for a navigation event (<c>WaitForURLAsync</c>), so a
    /// navigation that is over before the wait begins (a fast one, on a busy machine) is not missed.
    /// </summary>
    public static async Task ArrivedAtAsync(IPage page, Regex url, TimeSpan? timeout = null)
    {
        var milliseconds = (float)(timeout ?? WaitTimeout).TotalMilliseconds;
        await Assertions.Expect(page).ToHaveURLAsync(url, new() { Timeout = milliseconds });
        await page.WaitForLoadStateAsync(LoadState.Load, new() { Timeout = milliseconds });
    }

    public Task AddUserAsync(string email, string role, string? tenant, string name) =>
        Task.Run(async () =>
        {
            var users = Server.Services.GetRequiredService<IUserStore>();
            Assert.True(await users.TryCreateUserAsync(ConsoleUser.Create(email, Password, role, tenant, name, Now), CancellationToken.None));
        });

    /// <summary>Writes a screenshot into the test output folder, where a person can look at the page.</summary>
    public static async Task ScreenshotAsync(IPage page, string name, bool fullPage = true)
    {
        var root = Environment.GetEnvironmentVariable("WITNESS_TEST_OUTPUT") is { Length: > 0 } output
            ? output
            : Path.Combine(AppContext.BaseDirectory, "test-output");
        var folder = Path.Combine(root, "screenshots");
        Directory.CreateDirectory(folder);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(folder, $"{name}.png"), FullPage = fullPage, Animations = ScreenshotAnimations.Disabled });
    }

    /// <summary>The tenant's events of one action, read through the API, newest first.</summary>
    public async Task<JsonArray> EventsAsync(string query, string? tenant = null)
    {
        using var client = Server.Client(tenant is null ? AdminKey : GlobalKey);
        var url = $"/v1/events?{query}" + (tenant is null ? "" : $"&tenant={tenant}");
        var body = await client.GetFromJsonAsync<JsonObject>(url);
        return body!["events"]!.AsArray();
    }

    private async Task SeedAsync()
    {
        using var client = Server.Client(AdminKey);

        // Set in the store, not through PATCH /v1/settings, which would add a settings.update event
        // to the log the pages' tests count.
        await Server.Services.GetRequiredService<Witness.Server.Auditing.TenantSettingsCache>()
            .SaveAsync(Tenant, TenantSettings.Default with { TimeZone = "Europe/Rome" }, CancellationToken.None);

        var events = new List<JsonObject>
        {
            Some.Event(Tenant, "inbox.update", e =>
            {
                e["id"] = "evt-inbox-update";
                e["description"] = "Renamed inbox Support to Help desk";
                e["occurred_at"] = "2023-06-22T15:06:00Z";
                e["context"]!["user_agent"] = "Mozilla/5.0 (X11; Linux x86_64) Firefox/127.0";
                e["context"]!["request_id"] = "req_42";
                e["context"]!["session_id"] = "sess_7";
                e["changes"] = new JsonObject
                {
                    ["before"] = new JsonObject { ["name"] = "Support", ["greeting"] = "Hi!", ["auto_assign"] = false, ["legacy"] = true },
                    ["after"] = new JsonObject { ["name"] = "Help desk", ["greeting"] = "Hi!", ["auto_assign"] = true, ["sla_hours"] = 4 },
                };
                e["metadata"] = new JsonObject { ["plan"] = "enterprise" };
            }),
            Some.Event(Tenant, "rule.run", e =>
            {
                e["id"] = "evt-system";
                e.Remove("actor");
                e.Remove("changes");
                e["category"] = "Automation";
                e["description"] = "Automation rule Close stale tickets ran";
                e["occurred_at"] = "2023-06-22T15:00:00Z";
            }),
        };
        for (var i = 0; i < ActivityEvents - 2; i++)
        {
            var minute = i;
            events.Add(Some.Event(Tenant, "inbox.create", e =>
            {
                e["id"] = $"evt-create-{minute:D2}";
                e["actor"] = new JsonObject { ["type"] = "user", ["id"] = "u_2", ["name"] = "Bruno Bianchi", ["email"] = "bruno@acme.example", ["role"] = "Agent" };
                e["description"] = $"Created inbox Queue {minute:D2}";
                e["occurred_at"] = new DateTimeOffset(2023, 6, 22, 14, 0, 0, TimeSpan.Zero).AddMinutes(-minute).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
                e.Remove("changes");
            }));
        }

        events.Add(Some.Event(Tenant, "user.login", e =>
        {
            e["type"] = "access";
            e["category"] = "Authentication";
            e["description"] = "Signed in";
            e.Remove("changes");
            e.Remove("targets");
        }));
        events.Add(Some.Event(Tenant, "webhook.delivery_failed", e =>
        {
            e["type"] = "webhook_failure";
            e["category"] = "Webhooks";
            e["outcome"] = "failure";
            e["reason"] = "HTTP 503 from https://hooks.example.com";
            e["description"] = "Webhook delivery failed";
            e.Remove("actor");
            e.Remove("changes");
        }));

        var response = await client.PostAsync(Some.Batch(events));
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }
}

[CollectionDefinition(Name)]
public sealed class ConsoleCollection : ICollectionFixture<ConsoleFixture>
{
    public const string Name = "Console in a browser";
}
