using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Witness.Events;
using Witness.Server.Console.Components;
using Witness.Server.Http;
using Witness.Server.Streams;
using Witness.Storage;
using Witness.Streams;

namespace Witness.Server.Console;

/// <summary>
/// Settings › Streams (<c>/console/settings/streams</c>, Administrators): the tenant's log streams with their
/// status, pause / resume / send a test event / delete, and a form for a new stream, all through
/// <see cref="StreamService"/> like <c>/v1/streams</c>. Drawn by <see cref="StreamsView"/>.
/// </summary>
internal static class StreamsPage
{
    public static void Map(RouteGroupBuilder settings)
    {
        settings.MapGet("/streams", ShowAsync);
        settings.MapPost("/streams", CreateAsync);
        settings.MapPost("/streams/{id}/pause", (HttpContext c, string id, IAntiforgery a, ConsoleAssets s, IWitnessStore w, StreamService x) => SetPausedAsync(c, id, a, s, w, x, true));
        settings.MapPost("/streams/{id}/resume", (HttpContext c, string id, IAntiforgery a, ConsoleAssets s, IWitnessStore w, StreamService x) => SetPausedAsync(c, id, a, s, w, x, false));
        settings.MapPost("/streams/{id}/test", TestAsync);
        settings.MapPost("/streams/{id}/delete", DeleteAsync);
    }

    public static string Label(string field) => field switch
    {
        "name" => "Name",
        "kind" => "Kind",
        "url" => "Destination",
        "format" => "Format",
        "token" => "Splunk HEC token",
        "query" => "Only events matching",
        "types" => "Log types",
        _ when field.StartsWith("types[", StringComparison.Ordinal) => "Log type",
        _ => field,
    };

    private static async Task ShowAsync(HttpContext context, IAntiforgery antiforgery, ConsoleAssets assets, IWitnessStore store, StreamService streams)
    {
        if (await SettingsScope.ResolveAsync(context, antiforgery, assets, store, isPost: false) is not { } scope)
        {
            return;
        }

        var notice = context.Request.Query["saved"].ToString() switch
        {
            "paused" => "Stream paused. Its cursor stays where it is.",
            "resumed" => "Stream resumed from where it was.",
            "deleted" => "Stream deleted.",
            "created" => "Stream created.",
            "tested" => "Test event delivered.",
            _ => null,
        };
        await RenderAsync(context, scope, store, streams, null, [], null, notice, null, 200);
    }

    private static async Task CreateAsync(HttpContext context, IAntiforgery antiforgery, ConsoleAssets assets, IWitnessStore store, StreamService service)
    {
        if (await SettingsScope.ResolveAsync(context, antiforgery, assets, store, isPost: true) is not { } scope)
        {
            return;
        }

        var ct = context.RequestAborted;
        var form = await context.Request.ReadFormAsync(ct);
        string? Text(string field) => form[field].ToString().Trim() is { Length: > 0 } value ? value : null;
        var request = new StreamRequest
        {
            Name = Text("name") ?? "",
            Kind = Text("kind"),
            Url = Text("url"),
            Format = Text("format"),
            Token = Text("kind") == StreamKinds.SplunkHec ? Text("token") : null,
            Types = [.. form["types"]],
            Query = Text("query"),
        };
        var result = await service.CreateAsync(scope.Acting(context), request, ct);
        if (result.Value is not { } saved)
        {
            await RenderAsync(context, scope, store, service, form, result.Errors, null, null, null, 400);
            return;
        }

        if (saved.NewSecret is null)
        {
            SeeOther(context, scope.Url("/console/settings/streams", ("saved", "created")));
            return;
        }

        // The secret goes into this answer only, never into a URL.
        context.Response.Headers.CacheControl = "no-cache, no-store";
        await RenderAsync(context, scope, store, service, null, [], saved.NewSecret, "Stream created.", null, 201);
    }

    private static async Task SetPausedAsync(HttpContext context, string id, IAntiforgery antiforgery, ConsoleAssets assets, IWitnessStore store, StreamService service, bool paused)
    {
        if (await SettingsScope.ResolveAsync(context, antiforgery, assets, store, isPost: true) is not { } scope)
        {
            return;
        }

        if (await service.SetPausedAsync(scope.Acting(context), id, paused, context.RequestAborted) is null)
        {
            await NotFoundAsync(context, assets, scope);
            return;
        }

        SeeOther(context, scope.Url("/console/settings/streams", ("saved", paused ? "paused" : "resumed")));
    }

    private static async Task TestAsync(HttpContext context, string id, IAntiforgery antiforgery, ConsoleAssets assets, IWitnessStore store, StreamService service)
    {
        if (await SettingsScope.ResolveAsync(context, antiforgery, assets, store, isPost: true) is not { } scope)
        {
            return;
        }

        if (await service.FindAsync(scope.Tenant, id, context.RequestAborted) is not { } stream)
        {
            await NotFoundAsync(context, assets, scope);
            return;
        }

        if (await service.SendTestAsync(scope.Acting(context), stream, context.RequestAborted) is { } error)
        {
            await RenderAsync(context, scope, store, service, null, [], null, null, error, 502);
            return;
        }

        SeeOther(context, scope.Url("/console/settings/streams", ("saved", "tested")));
    }

    private static async Task DeleteAsync(HttpContext context, string id, IAntiforgery antiforgery, ConsoleAssets assets, IWitnessStore store, StreamService service)
    {
        if (await SettingsScope.ResolveAsync(context, antiforgery, assets, store, isPost: true) is not { } scope)
        {
            return;
        }

        if (!await service.DeleteAsync(scope.Acting(context), id, context.RequestAborted))
        {
            await NotFoundAsync(context, assets, scope);
            return;
        }

        SeeOther(context, scope.Url("/console/settings/streams", ("saved", "deleted")));
    }

    private static Task NotFoundAsync(HttpContext context, ConsoleAssets assets, SettingsScope scope) =>
        MessagePage.RenderAsync(context, assets, scope.Chrome, 404, "No such stream", "It may have been deleted already.", Icons.Warning);

    private static async Task RenderAsync(
        HttpContext context, SettingsScope scope, IWitnessStore store, StreamService streams,
        IFormCollection? entered, IReadOnlyList<ValidationError> errors, string? createdSecret, string? notice, string? testError, int status)
    {
        var ct = context.RequestAborted;
        var zone = TenantZone.Of(await store.GetSettingsAsync(scope.Tenant, ct));
        var list = new List<(LogStream, StreamStatus)>();
        foreach (var stream in await streams.ListAsync(scope.Tenant, ct))
        {
            list.Add((stream, await streams.StatusAsync(stream, ct)));
        }

        await ConsoleComponents.RenderAsync<StreamsView>(context, status, new()
        {
            [nameof(StreamsView.Scope)] = scope,
            [nameof(StreamsView.Streams)] = (IReadOnlyList<(LogStream, StreamStatus)>)list,
            [nameof(StreamsView.Zone)] = zone,
            [nameof(StreamsView.Entered)] = entered,
            [nameof(StreamsView.Errors)] = errors,
            [nameof(StreamsView.CreatedSecret)] = createdSecret,
            [nameof(StreamsView.Notice)] = notice,
            [nameof(StreamsView.TestError)] = testError,
        });
    }

    private static void SeeOther(HttpContext context, string url)
    {
        context.Response.Redirect(url);
        context.Response.StatusCode = StatusCodes.Status303SeeOther;
    }
}
