using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Witness.Catalog;
using Witness.Checkpoints;
using Witness.Events;
using Witness.Export;
using Witness.Export.Pdf;
using Witness.Ingest;
using Witness.Integrity;
using Witness.Server.Alerts;
using Witness.Server.Apis;
using Witness.Server.Auditing;
using Witness.Server.Auth;
using Witness.Server.Background;
using Witness.Server.Catalog;
using Witness.Server.Console;
using Witness.Server.Demo;
using Witness.Server.Http;
using Witness.Server.Ingest;
using Witness.Server.Limits;
using Witness.Server.OpenApi;
using Witness.Server.Secrets;
using Witness.Server.Webhooks;
using Witness.Storage;
using Witness.Storage.Postgres;
using Witness.Storage.Sqlite;

namespace Witness.Server;

/// <summary>Builds and runs the Witness HTTP server: the API, its background services and its store.</summary>
public static class WitnessServer
{
    /// <summary>
    /// Registers every part (the store through <see cref="WitnessStoreRegistration.AddWitnessStore"/>, the
    /// ingest path, the exporters with the PDF writer, the background services), opens the store
    /// (applying migrations and checking durability), loads or creates the signing key, loads the action catalog (presets and catalog files of the options, then the stored
    /// entries), and builds the application. Throws when the store refuses to start, and
    /// <see cref="CatalogException"/> naming the file, entry and field when a catalog file is invalid, and
    /// <see cref="InvalidOperationException"/> naming the option when one is out of its range. The
    /// application's container owns the store: disposing the application closes it.
    /// </summary>
    public static async Task<WebApplication> BuildAsync(WitnessServerOptions options, CancellationToken ct = default)
    {
        // Every ranged option is checked before anything opens; the message names the option.
        if (new WitnessServerOptionsValidator().Validate(null, options) is { Failed: true } invalid)
        {
            throw new InvalidOperationException($"an option is out of range: {string.Join("; ", invalid.Failures)}",
                new OptionsValidationException(nameof(WitnessServerOptions), typeof(WitnessServerOptions), invalid.Failures));
        }

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.WebHost.UseUrls(options.Urls.Split(';', StringSplitOptions.RemoveEmptyEntries));
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = EventLimits.MaxBatchBytes + (1024 * 1024));
        Logging.ServerLogs.Add(builder.Logging, options.JsonLogs);
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        // Console key files sit unencrypted beside the database, which an attacker with the folder already has.
        builder.Logging.AddFilter("Microsoft.AspNetCore.DataProtection", LogLevel.Error);

        Directory.CreateDirectory(options.DataDirectory);
        var key = ServerSigningKey.Load(options);
        var services = builder.Services;
        services.AddWitnessLog(options, keyDaysFilledBehind: true);
        // Session cookies, anti-forgery tokens and the secrets kept in the store are sealed with keys
        // kept beside the signing key, so a restart keeps everyone signed in (SecretProtector.KeyRingFolder).
        OwnerOnlyKeyRing.Use(services.AddDataProtection().SetApplicationName("witness"), SecretProtector.KeyRingFolder(options));
        services.AddSingleton<SecretProtector>();
        services.AddSingleton(key);
        services.AddSingleton(sp => new EventParser(options.Clock));
        services.AddSingleton(sp => new CheckpointIssuer(sp.GetRequiredService<IWitnessStore>(), key, options.Clock));
        services.AddSingleton(sp => new Witness.Stats.EventStatsService(sp.GetRequiredService<IWitnessStore>(), options.Clock));
        // The formats in the order they are offered; the PDF writer registers itself.
        services.AddSingleton<IExportWriter, CsvExportWriter>();
        services.AddSingleton<IExportWriter, JsonExportWriter>();
        services.AddSingleton<IExportWriter, NdjsonExportWriter>();
        services.AddWitnessPdfExport();
        services.AddSingleton(sp => new EventExporter(sp.GetRequiredService<IWitnessStore>(), sp.GetRequiredService<CheckpointIssuer>(), options.Clock, sp.GetServices<IExportWriter>()));
        services.AddSingleton<CheckpointService>();
        Witnessing.WitnessingRegistration.AddWitnessing(services);
        services.AddHostedService(sp => sp.GetRequiredService<CheckpointService>());
        // The top lists' day counts are filled behind the counts, which scan the days not yet filled (WitnessLogRegistration).
        if (Registered<IKeyDayCountsStore>(services))
        {
            services.AddSingleton<KeyDayCountService>();
            services.AddHostedService(sp => sp.GetRequiredService<KeyDayCountService>());
        }

        // Erasures leave the free-text blocks that held erased values to be rebuilt behind them.
        if (Registered<IStaleTextBlockStore>(services))
        {
            services.AddSingleton<TextBlockRepairService>();
            services.AddHostedService(sp => sp.GetRequiredService<TextBlockRepairService>());
        }
        services.AddSingleton<Configuration.SettingsService>();
        services.AddSingleton<Privacy.SubjectErasure>();
        services.AddSingleton(new RateLimits(options.RateLimits));
        Health.WitnessHealthChecks.Add(services);
        Telemetry.WitnessTelemetry.Add(services, options);

        // Retention, alerts and webhooks keep state of their own; a store without it serves the rest.
        var keepsAutomation = Registered<IRetentionStore>(services) && Registered<IAlertStore>(services) && Registered<IWebhookStore>(services);
        if (keepsAutomation)
        {
            // The store's own webhook rows, read through the wrapper that seals their secrets.
            services.AddSingleton(sp => new ProtectedWebhookStore((IWebhookStore)sp.GetRequiredService<IWitnessStore>(), sp.GetRequiredService<SecretProtector>()));
            services.AddSingleton<IWebhookStore>(sp => sp.GetRequiredService<ProtectedWebhookStore>());
            services.AddSingleton<RetentionService>();
            services.AddHostedService(sp => sp.GetRequiredService<RetentionService>());
            services.AddSingleton(sp => new WebhookDispatcher(sp.GetRequiredService<IWebhookStore>(), options.Clock));
            services.AddSingleton<WebhookDeliveryService>();
            services.AddHostedService(sp => sp.GetRequiredService<WebhookDeliveryService>());
            services.AddHostedService<CheckpointPublisher>();
            services.AddSingleton<AlertService>();
            services.AddHostedService(sp => sp.GetRequiredService<AlertService>());
            services.AddSingleton<Configuration.AlertRuleService>();
            services.AddSingleton<Configuration.WebhookService>();
            Streams.StreamServiceCollectionExtensions.AddWitnessStreams(services, options);
        }
        var authentication = services.AddAuthentication(ApiKeyAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);

        // The console needs a store that keeps its users; a store without them serves the API alone.
        var users = Registered<IUserStore>(services);
        if (users)
        {
            AddConsole(services, authentication, options);
        }

        services.AddAuthorization(ScopePolicies.Add);
        // An unexpected error answers problem+json 500 with the trace id, never an empty body.
        services.AddProblemDetails(o => o.CustomizeProblemDetails = Http.UnexpectedErrors.Describe);
        services.AddWitnessOpenApi();

        var app = builder.Build();
        // Resolved at once so that the container owns the store (and closes it with the application) whatever happens next.
        var store = app.Services.GetRequiredService<IWitnessStore>();
        try
        {
            await store.InitializeAsync(ct);
            await SigningKeyRegistry.EnsureCurrentAsync(store, key, options.Clock, ct);
        }
        catch
        {
            key.Dispose();
            await app.DisposeAsync();
            throw;
        }

        app.UseExceptionHandler();
        Telemetry.WitnessTelemetry.Map(app);
        app.UseAuthentication();
        app.UseAuthorization();
        if (users)
        {
            app.UseAntiforgery();
        }

        app.UseJsonRequestBodies();
        RateLimits.UseRateLimits(app);
        app.MapOpenApi("/openapi/{documentName}.json").AllowAnonymous();
        HealthApi.Map(app);
        Health.WitnessHealthChecks.Map(app);
        EventsApi.Map(app);
        ExportApi.Map(app);
        IntegrityApi.Map(app);
        Witnessing.WitnessingRegistration.MapWitnessing(app);
        TenantsApi.Map(app);
        SettingsApi.Map(app);
        SubjectsApi.Map(app);
        if (keepsAutomation)
        {
            AlertsApi.Map(app);
            WebhooksApi.Map(app);
            Streams.StreamServiceCollectionExtensions.MapWitnessStreams(app);
        }

        ActionsApi.Map(app);
        if (users)
        {
            ViewerTokensApi.Map(app);
            ConsoleEndpoints.Map(app);
        }

        try
        {
            await app.Services.GetRequiredService<CatalogSync>().LoadAtStartAsync(CatalogStartup.From(options), ct);
        }
        catch (Exception ex) when (ex is CatalogException or IOException)
        {
            // Disposing the application closes the store.
            await app.DisposeAsync();
            throw;
        }

        if (keepsAutomation)
        {
            await app.Services.GetRequiredService<ProtectedWebhookStore>().ProtectStoredSecretsAsync(store, ct);
        }

        DataFolderPermissions.Restrict(options.DataDirectory);
        DataFolderPermissions.Restrict(SecretProtector.KeyRingFolder(options));
        if (options.Demo)
        {
            await DemoData.FillAsync(app.Services.GetRequiredService<EventIntake>(), options.Clock, ct, store);
            // Signed at once: the checkpoint service only hears of appends once the host has started.
            await app.Services.GetRequiredService<CheckpointIssuer>().IssueAsync(DemoData.Tenant, ct);
        }

        return app;
    }

    /// <summary>Whether a part registered <typeparamref name="T"/> (a store registers the optional interfaces it implements).</summary>
    private static bool Registered<T>(IServiceCollection services) => services.Any(d => d.ServiceType == typeof(T));

    private static void AddConsole(IServiceCollection services, AuthenticationBuilder authentication, WitnessServerOptions options)
    {
        if (options.EmbedFrameAncestors.Any(c => c is ';' or ',' || char.IsControl(c)) || string.IsNullOrWhiteSpace(options.EmbedFrameAncestors))
        {
            throw new InvalidOperationException($"the embed frame ancestors '{options.EmbedFrameAncestors}' must be CSP sources separated by spaces, such as 'https://app.example.com' or '*'");
        }

        services.AddAntiforgery(o =>
        {
            o.Cookie.Name = "witness_csrf";
            o.Cookie.HttpOnly = true;
            o.Cookie.SameSite = SameSiteMode.Strict;
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            o.SuppressXFrameOptionsHeader = true;
        });
        authentication.AddConsole(options);
        // The console's pages are Razor components rendered on the server (RazorComponentResult), without interactivity.
        services.AddRazorComponents();
        options.SignInThrottle.Validate();
        if (!Registered<ISignInThrottleStore>(services))
        {
            throw new InvalidOperationException("a store that keeps console users must count failed sign-ins");
        }

        services.AddSingleton<SignInThrottle>();
        services.AddSingleton(ViewerTokens.LoadOrCreate(options.DataDirectory, options.Clock));
        services.AddSingleton<ConsoleAssets>();
        services.AddSingleton<ConsoleAccessLog>();
        services.AddSingleton<AuditLogPage>();
    }
}
