from accounts.selectors import START_PAGES, user_roles


def roles(request):
    """The signed-in user's roles, for the navigation (one link per start page)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"user_roles": []}
    return {
        "user_roles": [
            {"role": role, "label": role.label, "url_name": START_PAGES[role]}
            for role in user_roles(user=user)
        ]
    }
