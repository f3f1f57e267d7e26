import { IsEmail, IsIn, IsString, Length } from 'class-validator';

/** A sign-up, validated at the HTTP edge and again by the worker (the queue may have other producers). */
export class RegistrationDto {
  @IsEmail() email!: string;
  @IsString() @Length(1, 100) name!: string;
  @IsIn(['free', 'pro']) plan!: 'free' | 'pro';
}
