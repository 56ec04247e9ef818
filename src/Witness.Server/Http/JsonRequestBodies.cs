using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace Witness.Server.Http;

/// <summary>
/// Every API request with a body must say it is JSON: a POST, PUT or PATCH under <c>/v1</c> whose
/// body is not empty and whose <c>Content-Type</c> is not <c>application/json</c> (or <c>…+json</c>) is
/// answered 415 as problem+json naming the header, before its endpoint runs. Console forms live
/// outside <c>/v1</c> and are not affected.
/// </summary>
public static class JsonRequestBodies
{
    public static void UseJsonRequestBodies(this WebApplication app) =>
        app.Use(async (context, next) =>
        {
            var request = context.Request;
            if (request.Path.StartsWithSegments("/v1") && (HttpMethods.IsPost(request.Method) || HttpMethods.IsPut(request.Method) || HttpMethods.IsPatch(request.Method))
                && HasBody(request) && !IsJson(request.ContentType))
            {
                var sent = string.IsNullOrEmpty(request.ContentType) ? "no Content-Type" : $"Content-Type '{request.ContentType}'";
                await Problems.Write(context, 415, "Unsupported media type", $"The body must be JSON, sent with the header 'Content-Type: application/json'; this request had {sent}.",
                    [new("Content-Type", "must be application/json")]);
                return;
            }

            await next(context);
        });

    private static bool HasBody(HttpRequest request) =>
        request.ContentLength > 0 || (request.ContentLength is null && request.Headers.TransferEncoding.Count > 0);

    private static bool IsJson(string? contentType) =>
        MediaTypeHeaderValue.TryParse(contentType, out var media)
        && (media.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase) || media.Suffix.Equals("json", StringComparison.OrdinalIgnoreCase));
}
