using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Witness.Events;

namespace Witness.Server.Http;

/// <summary>RFC 9457 problem details, written the same way by every endpoint.</summary>
internal static class Problems
{
    public static Task Write(HttpContext context, int status, string title, string detail, IReadOnlyList<ValidationError>? errors = null)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/problem+json";
        var problem = new ProblemBody($"https://witness.dev/problems/{status}", title, status, detail, context.Request.Path, errors?.Select(e => new FieldError(e.Field, e.Message)).ToList());
        return context.Response.WriteAsync(JsonSerializer.Serialize(problem, WitnessJson.Api.ProblemBody), context.RequestAborted);
    }

    public static IResult Result(int status, string title, string detail, IReadOnlyList<ValidationError>? errors = null) =>
        new ProblemResult(status, title, detail, errors);

    /// <summary>At most this many field errors are listed; a batch with one mistake repeated a thousand times needs only the first few.</summary>
    public const int MaxListedErrors = 100;

    public static IResult Invalid(IReadOnlyList<ValidationError> errors) =>
        Result(
            400,
            "Invalid request",
            errors.Count == 1
                ? $"{errors[0].Field}: {errors[0].Message}"
                : $"{errors.Count} problems{(errors.Count > MaxListedErrors ? $" (the first {MaxListedErrors} are listed)" : "")}, the first: {errors[0].Field}: {errors[0].Message}",
            [.. errors.Take(MaxListedErrors)]);

    public static IResult Invalid(string field, string message) => Invalid([new ValidationError(field, message)]);

    public static IResult NotFound(string detail) => Result(404, "Not found", detail);

    private sealed class ProblemResult(int status, string title, string detail, IReadOnlyList<ValidationError>? errors) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext) => Write(httpContext, status, title, detail, errors);
    }
}

/// <summary>The body of a problem response; <c>errors</c> lists each bad field.</summary>
internal sealed record ProblemBody(
    string Type,
    string Title,
    int Status,
    string Detail,
    string Instance,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<FieldError>? Errors);

public sealed record FieldError(string Field, string Message);
