using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace Witness.Server.Http;

/// <summary>
/// Every API request with a body must say it is JSON: a POST, PUT or PATCH under <c>/v1</c> whose
/// body is not empty and whose <c>Content-Type</c> is not <c>application/json</c> (or <c>…+json</c>) is
/// answered 415 as problem+json naming the header, before its endpoint runs; so is the bodiless 415
/// routing gives an endpoint that declares <c>Accepts("application/json")</c>. Console forms live
/// outside <c>/v1</c> and are not affected.
/// </summary>
internal static class JsonRequestBodies
{
    public static void UseJsonRequestBodies(this WebApplication app) =>
        app.Use(async (context, next) =>
        {
            var request = context.Request;
            if (request.Path.StartsWithSegments("/v1") && (HttpMethods.IsPost(request.Method) || HttpMethods.IsPut(request.Method) || HttpMethods.IsPatch(request.Method))
                && HasBody(request) && !IsJson(request.ContentType))
            {
                await Unsupported(context);
                return;
            }

            await next(context);

            // Routing answers 415 by itself, with no body, for an endpoint that declares Accepts("application/json").
            if (context.Response.StatusCode == StatusCodes.Status415UnsupportedMediaType && !context.Response.HasStarted && request.Path.StartsWithSegments("/v1"))
            {
                await Unsupported(context);
            }
        });

    private static Task Unsupported(HttpContext context)
    {
        var sent = string.IsNullOrEmpty(context.Request.ContentType) ? "no Content-Type" : $"Content-Type '{context.Request.ContentType}'";
        return Problems.Write(context, 415, "Unsupported media type", $"The body must be JSON, sent with the header 'Content-Type: application/json'; this request had {sent}.",
            [new("Content-Type", "must be application/json")]);
    }

    private static bool HasBody(HttpRequest request) =>
        request.ContentLength > 0 || (request.ContentLength is null && request.Headers.TransferEncoding.Count > 0);

    private static bool IsJson(string? contentType) =>
        MediaTypeHeaderValue.TryParse(contentType, out var media)
        && (media.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase) || media.Suffix.Equals("json", StringComparison.OrdinalIgnoreCase));
}
