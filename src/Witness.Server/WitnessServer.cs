using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Witness.Catalog;
using Witness.Checkpoints;
using Witness.Events;
using Witness.Export;
using Witness.Export.Pdf;
using Witness.Ingest;
using Witness.Integrity;
using Witness.Server.Apis;
using Witness.Server.Auditing;
using Witness.Server.Auth;
using Witness.Server.Background;
using Witness.Server.Demo;
using Witness.Storage;
using Witness.Storage.Sqlite;

namespace Witness.Server;

/// <summary>Builds and runs the Witness HTTP server: the API, its background services and its store.</summary>
public static class WitnessServer
{
    /// <summary>
    /// Opens the store (applying migrations and checking durability), loads or creates the signing
    /// key, and builds the application. Throws when the store refuses to start.
    /// </summary>
    public static async Task<WebApplication> BuildAsync(WitnessServerOptions options, IWitnessStore? store = null, CancellationToken ct = default)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.WebHost.UseUrls(options.Urls.Split(';', StringSplitOptions.RemoveEmptyEntries));
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = EventLimits.MaxBatchBytes + (1024 * 1024));
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);

        store ??= new SqliteStore(SqliteStoreOptions.InFolder(options.DataDirectory));
        await store.InitializeAsync(ct);
        Directory.CreateDirectory(options.DataDirectory);
        var key = SigningKey.LoadOrCreate(options.DataDirectory, options.Origin);

        var services = builder.Services;
        services.AddSingleton(options);
        services.AddSingleton(options.Clock);
        services.AddSingleton(store);
        services.AddSingleton(key);
        services.AddSingleton(sp => new EventParser(options.Clock));
        services.AddSingleton(sp => new EventIngestor(store, options.Clock));
        services.AddSingleton(sp => new CheckpointIssuer(store, key, options.Clock));
        services.AddSingleton<ReadAuditor>();
        services.AddSingleton(sp => new EventExporter(store, sp.GetRequiredService<CheckpointIssuer>(), options.Clock,
            [new CsvExportWriter(), new JsonExportWriter(), new NdjsonExportWriter(), new PdfExportWriter()]));
        services.AddSingleton(ActionCatalog.CreateWithBuiltInActions());
        services.AddSingleton<TenantSettingsCache>();
        services.AddSingleton<IngestPolicy>();
        services.AddSingleton<CheckpointService>();
        services.AddHostedService(sp => sp.GetRequiredService<CheckpointService>());
        services.AddAuthentication(ApiKeyAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        services.AddAuthorization(ScopePolicies.Add);
        services.AddOpenApi(o => o.AddDocumentTransformer((doc, _, _) =>
        {
            doc.Info.Title = "Witness";
            doc.Info.Description = "A multi-tenant, tamper-evident audit log. Authenticate with 'Authorization: Bearer <api key>'; errors are RFC 9457 problem+json.";
            return Task.CompletedTask;
        }));

        var app = builder.Build();
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapOpenApi("/openapi/{documentName}.json").AllowAnonymous();
        HealthApi.Map(app);
        EventsApi.Map(app);
        ExportApi.Map(app);
        IntegrityApi.Map(app);
        SettingsApi.Map(app);

        // The ingest loop drains before the store closes, so every acknowledged request is committed.
        app.Lifetime.ApplicationStopped.Register(() =>
        {
            app.Services.GetRequiredService<EventIngestor>().DisposeAsync().AsTask().GetAwaiter().GetResult();
            store.DisposeAsync().AsTask().GetAwaiter().GetResult();
        });
        if (options.Demo)
        {
            await DemoData.FillAsync(app.Services.GetRequiredService<EventIngestor>(), options.Clock, ct, store);
        }

        return app;
    }
}
