"""``manage.py create_demo_users``: create (or reset) the demo logins and print them."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from notices.demo_users import DEMO_USERS


class Command(BaseCommand):
    help = "Create the demo user and superuser, or reset their passwords; print the logins."

    def handle(self, *args, **options):
        User = get_user_model()
        for demo in DEMO_USERS:
            user, created = User.objects.get_or_create(username=demo.username)
            # Setting the password every time keeps the printed login working, even after
            # someone changed it in the admin.
            user.set_password(demo.password)
            user.is_staff = user.is_superuser = demo.is_superuser
            user.save()
            state = "created" if created else "exists"
            role = "superuser" if demo.is_superuser else "user"
            self.stdout.write(f"  {demo.username} / {demo.password}  ({role}, {state})")
